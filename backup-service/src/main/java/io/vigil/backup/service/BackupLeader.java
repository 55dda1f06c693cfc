package io.vigil.backup.service;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vigil.commons.etcd.EtcdGateway;
import io.vigil.commons.schedule.Periodic;
import io.vigil.commons.topology.InstanceRegistrar;
import io.vigil.commons.topology.RegionConfig;
import io.vigil.commons.topology.TopologyKeys;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Leader election among the region's backup-service instances (jetcd {@code Election} on {@code
 * /vigil/elections/backup/{region}}, under a lease of the region's TTL): only the leader runs
 * schedules. When the leader dies its lease expires and a waiting instance is elected. Without etcd
 * this instance is the leader.
 */
@ApplicationScoped
public class BackupLeader {

  private static final Logger LOG = Logger.getLogger(BackupLeader.class);

  private final EtcdGateway etcd;
  private final RegionConfig region;
  private final InstanceRegistrar registrar;
  private volatile boolean leader;
  private volatile boolean stopping;
  private volatile long lease;
  private volatile EtcdGateway.Leadership key;
  private Periodic campaigner;

  BackupLeader(EtcdGateway etcd, RegionConfig region, InstanceRegistrar registrar) {
    this.etcd = etcd;
    this.region = region;
    this.registrar = registrar;
  }

  void onStart(@Observes StartupEvent event) {
    if (!etcd.enabled()) {
      leader = true;
      return;
    }
    campaigner = Periodic.onThread("backup-election", Duration.ZERO, this::campaign);
  }

  void onStop(@Observes ShutdownEvent event) {
    stopping = true;
    leader = false;
    if (campaigner != null) {
      campaigner.stop();
    }
    EtcdGateway.Leadership k = key;
    try {
      if (k != null) {
        etcd.resign(k).await().atMost(Duration.ofSeconds(2));
      }
      if (lease != 0) {
        etcd.revokeLease(lease).await().atMost(Duration.ofSeconds(2));
      }
    } catch (Exception e) {
      LOG.debugf("resigning the backup leadership: %s", e.toString());
    }
  }

  /**
   * One campaign (the election thread's tick): a lease, then wait to lead, then lead until the
   * lease is lost. A failure (etcd away) ends this campaign; the next starts a second later.
   */
  private void campaign() throws InterruptedException {
    try {
      long id =
          etcd.grantLease(region.etcd().leaseTtl())
              .await()
              .atMost(region.etcd().callTimeout().plusSeconds(1));
      lease = id;
      Object lost = new Object();
      try (var keeper =
          etcd.keepAlive(
              id,
              failure -> {
                if (leader) {
                  LOG.warnf("Lost the backup leadership (lease: %s)", failure);
                }
                leader = false;
                synchronized (lost) {
                  lost.notifyAll();
                }
              })) {
        String me = registrar.instanceId();
        // no timeout: a candidate waits as long as another one leads (on a thread of its own)
        key =
            etcd.campaign(TopologyKeys.backupElection(region.name()), id, me)
                .await()
                .indefinitely();
        leader = true;
        LOG.infof("This instance (%s) leads the backups of %s", me, region.name());
        synchronized (lost) {
          while (leader && !stopping) {
            lost.wait(1000);
          }
        }
      }
    } catch (RuntimeException e) {
      leader = false;
      if (!stopping) {
        LOG.debugf("backup election: %s; campaigning again", e.toString());
        Thread.sleep(1000);
      }
    }
  }

  /** Whether this instance runs the schedules now. */
  public boolean leader() {
    return leader;
  }

  /** The current leader's instance id, or null when unknown. */
  public String currentLeader() {
    if (!etcd.enabled()) {
      return registrar.instanceId();
    }
    try {
      return etcd.leader(TopologyKeys.backupElection(region.name()))
          .await()
          .atMost(region.etcd().callTimeout().plusSeconds(1));
    } catch (RuntimeException e) {
      return null;
    }
  }
}
