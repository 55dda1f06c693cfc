package io.vigil.backup.service;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vigil.commons.etcd.EtcdGateway;
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
  private Thread campaigner;

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
    campaigner = Thread.ofVirtual().name("backup-election").start(this::campaignLoop);
  }

  void onStop(@Observes ShutdownEvent event) {
    stopping = true;
    leader = false;
    if (campaigner != null) {
      campaigner.interrupt();
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

  private void campaignLoop() {
    String election = TopologyKeys.backupElection(region.name());
    // a virtual thread of its own: waiting for the leadership blocks only it
    while (!stopping) {
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
          // no timeout: a candidate waits as long as another one leads
          key = etcd.campaign(election, id, me).await().indefinitely();
          leader = true;
          LOG.infof("This instance (%s) leads the backups of %s", me, region.name());
          synchronized (lost) {
            while (leader && !stopping) {
              lost.wait(1000);
            }
          }
        }
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        leader = false;
        if (!stopping) {
          LOG.debugf("backup election: %s; campaigning again", e.toString());
          try {
            Thread.sleep(1000);
          } catch (InterruptedException ie) {
            return;
          }
        }
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
