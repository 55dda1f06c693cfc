-- Monitor runs are jobs: any zone's instance claims a queued run (FOR UPDATE SKIP LOCKED) and
-- keeps a heartbeat; a run whose heartbeat stops is claimed again by another instance.
CREATE TABLE monitor_runs (
    id                   text PRIMARY KEY,
    service_instance_id  text NOT NULL REFERENCES service_instances (id) ON DELETE CASCADE,
    monitor_instance_id  text NOT NULL,
    triggered_by         text NOT NULL,
    status               text NOT NULL,
    queued_at            timestamptz NOT NULL DEFAULT now(),
    started_at           timestamptz,
    completed_at         timestamptz,
    owner                text,
    heartbeat_at         timestamptz,
    attempts             integer NOT NULL DEFAULT 0,
    failure              jsonb,
    message              text
);
CREATE INDEX monitor_runs_queue ON monitor_runs (status, queued_at);
CREATE INDEX monitor_runs_by_instance ON monitor_runs (monitor_instance_id, queued_at);

CREATE TABLE measurements (
    id                    text PRIMARY KEY,
    service_instance_id   text NOT NULL REFERENCES service_instances (id) ON DELETE CASCADE,
    monitor_instance_id   text NOT NULL,
    monitor_definition_id text NOT NULL,
    target_type           text NOT NULL,
    target_id             text NOT NULL,
    run_id                text,
    ts                    timestamptz NOT NULL,
    issue_count           integer NOT NULL,
    entity                jsonb NOT NULL
);
CREATE INDEX measurements_by_instance ON measurements (monitor_instance_id, ts);
CREATE INDEX measurements_by_target ON measurements (service_instance_id, target_id, ts);
