'use strict';
// The Vigil console: the region view (operator key) and the model view (a tenant's key), drawn
// from the APIs through the router. Keys live in this tab's session storage only; the page is
// built with DOM nodes and text only (never parsed as HTML), so nothing an API answers can run.
(() => {
  const S = window.sessionStorage;
  const $ = (id) => document.getElementById(id);
  let timer = null;

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (v !== null && v !== undefined) e.setAttribute(k, v);
    }
    for (const c of children.flat()) {
      if (c !== null && c !== undefined) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function table(headers, rows, rowClass) {
    return el('table', {},
      el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows.map((r, i) => el('tr', { class: rowClass ? rowClass(i) : null }, r.map((c) => el('td', {}, c))))));
  }

  class AuthError extends Error {}

  async function api(path, options) {
    const o = options || {};
    const r = await fetch(path, {
      method: o.method || 'GET',
      body: o.body,
      headers: { Authorization: 'Bearer ' + S.getItem('vigil.key'), 'Content-Type': 'application/json' },
      cache: 'no-store',
    });
    if (r.status === 401 || r.status === 403) throw new AuthError('the key was refused (' + r.status + ')');
    if (!r.ok) {
      let message = r.statusText;
      try { message = (await r.json()).errors[0].message; } catch (e) { /* not the API's format */ }
      throw new Error(r.status + ' ' + message);
    }
    return r.status === 204 ? null : r.json();
  }

  function fromFragment() {
    const h = window.location.hash.slice(1);
    if (!h.includes('key=')) return;
    const p = new URLSearchParams(h);
    S.setItem('vigil.key', p.get('key'));
    if (p.get('instance')) S.setItem('vigil.instance', p.get('instance'));
    else S.removeItem('vigil.instance');
    // the key leaves the address bar and the history at once
    window.history.replaceState(null, '', window.location.pathname + '#' + (p.get('instance') ? 'models' : 'region'));
  }

  function view() {
    if (!S.getItem('vigil.key')) return 'login';
    const wanted = window.location.hash.slice(1);
    if (wanted === 'models' && S.getItem('vigil.instance')) return 'models';
    if (wanted === 'region' && !S.getItem('vigil.instance')) return 'region';
    return S.getItem('vigil.instance') ? 'models' : 'region';
  }

  function show() {
    clearTimeout(timer);
    const v = view();
    for (const id of ['login', 'region', 'models']) $(id).hidden = id !== v;
    $('nav-region').hidden = v !== 'region';
    $('nav-models').hidden = v !== 'models';
    $('logout').hidden = v === 'login';
    if (v === 'region') region();
    if (v === 'models') models();
    if (v === 'login') $('key').focus();
  }

  function signOut(message) {
    S.removeItem('vigil.key');
    S.removeItem('vigil.instance');
    $('login-error').textContent = message || '';
    show();
  }

  function failed(e, status) {
    if (e instanceof AuthError) signOut('Sign-in failed: ' + e.message + '.');
    else $(status).textContent = 'Could not refresh: ' + e.message + ' (retrying)';
  }

  // ---- region view ------------------------------------------------------------------------

  async function region() {
    try {
      const r = await api('/routing/region');
      renderRegion(r);
      $('region-status').textContent = 'Updated ' + new Date().toLocaleTimeString();
    } catch (e) {
      failed(e, 'region-status');
      if (e instanceof AuthError) return;
    }
    timer = setTimeout(region, 1000);
  }

  async function zoneAction(zone, action) {
    const what = action === 'drain' ? 'Drain zone ' + zone + '? New traffic leaves it.' : 'Activate zone ' + zone + '? It takes traffic again.';
    if (!window.confirm(what)) return;
    try {
      await api('/routing/zones/' + encodeURIComponent(zone) + '/' + action, { method: 'POST' });
      $('region-status').textContent = action === 'drain' ? 'Zone ' + zone + ' drained.' : 'Zone ' + zone + ' activated.';
    } catch (e) {
      $('region-status').textContent = 'Could not ' + action + ' ' + zone + ': ' + e.message;
    }
  }

  function renderRegion(r) {
    $('region-name').textContent = r.region;
    $('zones').replaceChildren(...r.zones.map((z) => el('article', { class: 'card state-' + z.state, id: 'zone-' + z.zone, 'aria-label': 'zone ' + z.zone },
      el('h4', {}, z.zone),
      el('p', {}, 'State: ', el('span', { class: 'state state-' + z.state, 'data-state': z.state }, z.state)),
      el('p', { class: 'muted' }, 'Since ' + z.last_transition.at + ': ' + (z.last_transition.reason || '')),
      el('ul', {}, z.instances.map((i) => el('li', {}, i.id + ' — ', el('span', { class: i.healthy ? 'ok' : 'bad' }, i.healthy ? 'healthy' : 'unhealthy'), i.reason ? ' (' + i.reason + ')' : ''))),
      el('p', {}, z.counters.requests + ' requests, ' + z.counters.retries + ' retries, ' + z.counters.ejections + ' ejections'),
      el('button', { type: 'button', 'data-action': 'drain', onclick: () => zoneAction(z.zone, 'drain') }, 'Drain ' + z.zone),
      ' ',
      el('button', { type: 'button', 'data-action': 'activate', onclick: () => zoneAction(z.zone, 'activate') }, 'Activate ' + z.zone))));

    $('transitions').replaceChildren((r.transitions || []).length
      ? table(['time', 'zone', 'from', 'to', 'reason'], r.transitions.slice(0, 10).map((t) => [t.at, t.zone, t.from, el('span', { class: 'state-' + t.to }, t.to), t.reason]))
      : el('p', { class: 'muted' }, 'No transition since this router started.'));

    const f = r.failover;
    $('failover').replaceChildren(
      el('p', {}, 'Serving: ', el('strong', { class: f.serving === 'primary' ? 'ok' : 'bad' }, f.serving === 'primary' ? 'this region' : 'the standby region (failed over)'), ' since ' + f.since + (f.reason ? ' — ' + f.reason : '')),
      f.standby_routers.length ? table(['standby router', 'state', 'reason'], f.standby_routers.map((s) => [s.url, s.healthy ? 'healthy' : 'unhealthy', s.reason || ''])) : el('p', { class: 'muted' }, 'No standby region configured.'));

    const db = r.database || {};
    $('database').replaceChildren(db.error ? el('p', { class: 'bad' }, db.error)
      : el('div', {},
        el('p', {}, 'Writes go to ' + (db.primary && db.primary.member ? db.primary.member + ' (' + db.primary.host + ':' + db.primary.port + ')' : (db.primary ? db.primary.host + ':' + db.primary.port : '?'))),
        db.members && db.members.length ? table(['member', 'role', 'state', 'duty'], db.members.map((m) => [m.name, m.role, m.state, m.leader ? 'leader' : (m.synchronous ? 'synchronous standby' : 'replica')])) : el('p', { class: 'muted' }, 'A single PostgreSQL (no Patroni).')));

    const members = r.etcd_members;
    $('etcd').replaceChildren(members && members.error ? el('p', { class: 'bad' }, members.error)
      : table(['member', 'client URLs'], (members || []).map((m) => [m.name + (m.learner ? ' (learner)' : ''), (m.client_urls || []).join(', ')])));

    const b = r.backups || {};
    const drills = r.drills || {};
    if (b.error) {
      $('backups').replaceChildren(el('p', { class: 'bad' }, b.error));
      return;
    }
    const rows = Object.entries(b.rpo || {}).map(([target, t]) => {
      const within = t.exposure_seconds !== null && t.exposure_seconds <= t.objective_seconds;
      const last = (b.last || {})[target] || {};
      const drill = drills[target] || (drills.drills || {})[target] || {};
      return [target, t.exposure_seconds === null ? 'none yet' : t.exposure_seconds.toFixed(1) + ' s', t.objective_seconds + ' s',
        el('span', { class: within ? 'ok' : 'bad' }, within ? 'within objective' : 'EXCEEDED'),
        last.id || last.time || JSON.stringify(last).slice(0, 80), drill.finished_at || drill.at || drill.last_success || JSON.stringify(drill).slice(0, 80)];
    });
    $('backups').replaceChildren(
      el('p', {}, (b.leader ? 'As the backup leader reports: ' : 'No backup leader answered; as another backup instance reports: ') + 'WAL streaming ' + (b.wal && b.wal.streaming ? 'yes' : 'no') + (b.copy && b.copy.configured ? '; copies to the standby region: ' + b.copy.pending + ' pending' : '')),
      table(['target', 'RPO exposure', 'objective', 'status', 'newest backup', 'last restore drill'], rows));
  }

  // ---- model view -------------------------------------------------------------------------

  function base() { return '/openscale/' + encodeURIComponent(S.getItem('vigil.instance')) + '/v2'; }

  async function models() {
    try {
      const subs = (await api(base() + '/subscriptions')).subscriptions;
      const parts = [];
      for (const s of subs) parts.push(await subscription(s));
      $('subscriptions').replaceChildren(...(parts.length ? parts : [el('p', {}, 'No subscriptions yet.')]));
      $('models-status').textContent = 'Updated ' + new Date().toLocaleTimeString();
    } catch (e) {
      failed(e, 'models-status');
      if (e instanceof AuthError) return;
    }
    timer = setTimeout(models, 10000);
  }

  async function subscription(s) {
    const id = s.metadata.id;
    const monitors = (await api(base() + '/monitor_instances?target.target_id=' + encodeURIComponent(id))).monitor_instances;
    const out = el('section', { class: 'subscription', id: 'subscription-' + id, 'aria-label': 'subscription ' + id },
      el('h3', {}, (s.entity.asset && (s.entity.asset.name || s.entity.asset.asset_id)) || id, ' ', el('small', {}, id)));
    for (const m of monitors) out.append(await monitor(m));
    if (!monitors.length) out.append(el('p', { class: 'muted' }, 'No monitors.'));
    return out;
  }

  function breached(metric) {
    return (metric.lower_limit !== undefined && metric.value < metric.lower_limit) || (metric.upper_limit !== undefined && metric.value > metric.upper_limit);
  }

  function tagText(tags) {
    return (tags || []).filter((t) => t.id === 'feature').map((t) => t.value).join(', ');
  }

  function otherTags(tags) {
    return (tags || []).filter((t) => t.id !== 'feature').map((t) => t.id + ' ' + t.value).join(', ');
  }

  async function monitor(m) {
    const id = m.metadata.id;
    const path = base() + '/monitor_instances/' + encodeURIComponent(id);
    const [measurements, runs, notes] = await Promise.all([
      api(path + '/measurements?limit=100').then((r) => r.measurements),
      api(path + '/runs?limit=10').then((r) => r.runs),
      api(base() + '/notifications?limit=10&monitor_instance_id=' + encodeURIComponent(id)).then((r) => r.notifications),
    ]);
    const out = el('div', { class: 'monitor', id: 'monitor-' + id },
      el('h4', {}, m.entity.monitor_definition_id, ' ', el('small', {}, id)));
    if (!measurements.length) {
      out.append(el('p', { class: 'muted' }, 'No measurement yet.'));
    } else {
      const latest = measurements[0].entity;
      const rows = [];
      const flags = [];
      for (const block of latest.values) {
        for (const metric of block.metrics) {
          const bad = breached(metric);
          flags.push(bad);
          rows.push([metric.id, tagText(block.tags), otherTags(block.tags), Number(metric.value).toPrecision(4),
            metric.lower_limit === undefined ? '' : String(metric.lower_limit), metric.upper_limit === undefined ? '' : String(metric.upper_limit),
            el('span', { class: bad ? 'bad state' : 'ok', 'data-breached': String(bad) }, bad ? 'BREACHED' : 'within')]);
        }
      }
      out.append(el('p', {}, 'Latest measurement ' + latest.timestamp + ' — ' + latest.issue_count + ' issue(s)'),
        table(['metric', 'feature', 'groups and counts', 'value', 'lower limit', 'upper limit', 'status'], rows, (i) => (flags[i] ? 'breached' : null)));
      out.append(chart(measurements));
      const d = distributions(latest);
      if (d) out.append(d);
    }
    out.append(el('h5', {}, 'Runs'), table(['state', 'queued', 'completed', 'message'], runs.map((r) => [r.entity.status.state, r.entity.status.queued_at, r.entity.status.completed_at || '', r.entity.status.failure ? r.entity.status.failure.errors[0].message : (r.entity.status.message || '')])));
    out.append(el('h5', {}, 'Alerts sent'), notes.length ? table(['type', 'delivery', 'attempts', 'created', 'last error'], notes.map((n) => [n.entity.type, n.entity.status.state, n.entity.status.attempts, n.metadata.created_at, n.entity.status.last_error || ''])) : el('p', { class: 'muted' }, 'None.'));
    return out;
  }

  // one point per measurement (a finished run), one series per metric and feature
  function chart(measurements) {
    const ordered = measurements.slice().reverse();
    const keys = [];
    for (const me of ordered) for (const b of me.entity.values) for (const mt of b.metrics) {
      const k = mt.id + (tagText(b.tags) ? ' (' + tagText(b.tags) + ')' : '');
      if (!keys.includes(k)) keys.push(k);
    }
    const xs = ordered.map((me) => Date.parse(me.entity.timestamp) / 1000);
    const ys = keys.map((k) => ordered.map((me) => {
      for (const b of me.entity.values) for (const mt of b.metrics) {
        if (mt.id + (tagText(b.tags) ? ' (' + tagText(b.tags) + ')' : '') === k) return mt.value;
      }
      return null;
    }));
    // each metric's limits as dashed lines in its colour
    const limits = [];
    keys.forEach((k, i) => {
      for (const side of ['lower_limit', 'upper_limit']) {
        const line = ordered.map((me) => {
          for (const b of me.entity.values) for (const mt of b.metrics) {
            if (mt.id + (tagText(b.tags) ? ' (' + tagText(b.tags) + ')' : '') === k && mt[side] !== undefined) return mt[side];
          }
          return null;
        });
        if (line.some((v) => v !== null)) limits.push({ key: k + ' ' + side.replace('_', ' '), colour: i, values: line });
      }
    });
    const box = el('div', { class: 'chart', 'data-points': String(xs.length), role: 'img', 'aria-label': 'Metric values over time: ' + keys.join(', ') + '; ' + xs.length + ' measurements; dashed lines are the limits' });
    const palette = ['#1f4fd1', '#a4161a', '#0b6b2e', '#7a4d00', '#5b2a86', '#00606e'];
    if (window.uPlot) {
      // eslint-disable-next-line no-new
      new window.uPlot({ width: 640, height: 220, scales: { x: { time: true } },
        series: [{}].concat(keys.map((k, i) => ({ label: k, stroke: palette[i % palette.length], width: 2, points: { show: true } })),
          limits.map((l) => ({ label: l.key, stroke: palette[l.colour % palette.length], width: 1, dash: [6, 4], points: { show: false } }))) },
      [xs].concat(ys, limits.map((l) => l.values)), box);
    }
    return box;
  }

  // baseline against current, per feature, from a drift measurement's distributions
  function distributions(measurement) {
    const source = (measurement.sources || []).find((s) => s.type === 'drift_distributions');
    if (!source) return null;
    const out = el('div', { class: 'distributions' }, el('h5', {}, 'Distributions: baseline against current'));
    for (const [feature, d] of Object.entries(source.data)) {
      const share = (counts) => { const n = counts.reduce((a, b) => a + b, 0) || 1; return counts.map((c) => c / n); };
      const base = share(d.baseline);
      const cur = share(d.current);
      const box = el('div', { class: 'chart', 'data-feature': feature, role: 'img', 'aria-label': feature + ': share of records per bin, baseline against current' });
      out.append(el('p', {}, feature), box);
      if (window.uPlot && d.bins.length) {
        const bars = window.uPlot.paths.bars({ size: [0.4, 40] });
        // eslint-disable-next-line no-new
        new window.uPlot({ width: 640, height: 180, scales: { x: { time: false, range: [-0.5, d.bins.length - 0.5] } },
          axes: [{ values: (u, splits) => splits.map((i) => (Number.isInteger(i) && d.bins[i] !== undefined ? d.bins[i] : '')) }, {}],
          series: [{}, { label: 'baseline', fill: 'rgba(31,79,209,0.45)', stroke: '#1f4fd1', paths: bars, points: { show: false } },
            { label: 'current', fill: 'rgba(164,22,26,0.45)', stroke: '#a4161a', paths: bars, points: { show: false } }] },
        [d.bins.map((b, i) => i), base, cur], box);
      }
    }
    return out;
  }

  // ---- wiring -------------------------------------------------------------------------------

  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const tenant = document.querySelector('input[name=role]:checked').value === 'tenant';
    S.setItem('vigil.key', $('key').value);
    if (tenant) S.setItem('vigil.instance', $('instance').value.trim());
    else S.removeItem('vigil.instance');
    $('key').value = '';
    try {
      await api(tenant ? base() + '/subscriptions' : '/routing/zones');
      $('login-error').textContent = '';
      window.location.hash = tenant ? 'models' : 'region';
      show();
    } catch (e) {
      signOut('Sign-in failed: ' + e.message + '.');
    }
  });
  $('logout').addEventListener('click', () => signOut('Signed out.'));
  window.addEventListener('hashchange', () => { fromFragment(); show(); });
  fromFragment();
  show();
})();
