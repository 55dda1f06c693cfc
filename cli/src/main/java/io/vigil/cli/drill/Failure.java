package io.vigil.cli.drill;

import io.vigil.cli.region.RegionState;
import io.vigil.process.EtcdRoles;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A failure a drill inflicts on a local region under load, and how it is mended. */
public interface Failure {

  /** What fails, for the report. */
  String name();

  /** Makes it fail. */
  void inflict(RegionState state, PrintStream out) throws Exception;

  /** Mends it; answers what was observed beyond requests and records (or "-"). */
  String mend(RegionState state, Path stateFile, PrintStream out) throws Exception;

  /** Every process of a zone killed. */
  static Failure zoneKilled(String zone) {
    return new Failure() {
      public String name() {
        return zone + " killed";
      }

      public void inflict(RegionState state, PrintStream out) {
        Zones.kill(state, zone, out);
      }

      public String mend(RegionState state, Path stateFile, PrintStream out) {
        Zones.start(state, stateFile, zone, out);
        return "-";
      }
    };
  }

  /** Every process of a zone stopped (SIGSTOP): connections accepted, never answered. */
  static Failure zoneHung(String zone) {
    return new Failure() {
      public String name() {
        return zone + " hung";
      }

      public void inflict(RegionState state, PrintStream out) {
        Zones.hang(state, zone, out);
      }

      public String mend(RegionState state, Path stateFile, PrintStream out) {
        Zones.resume(state, zone, out);
        return "-";
      }
    };
  }

  /** The PostgreSQL leader's Patroni and postmaster killed. */
  static Failure patroniLeader() {
    return new Single("Patroni leader killed") {
      RegionState.Process choose(RegionState state) throws Exception {
        String scope = EtcdRoles.patroniPrefix(RegionState.patroniScope(state.region)) + "leader";
        String leader =
            state
                .etcdctl(Duration.ofSeconds(10), "get", scope, "--print-value-only")
                .run("")
                .strip();
        if (leader.isEmpty()) {
          throw new IllegalStateException("no Patroni leader (is Patroni running?)");
        }
        return Zones.named(state, leader);
      }
    };
  }

  /** One etcd member killed. */
  static Failure etcdMember(String name) {
    return new Single("etcd member " + name + " killed") {
      RegionState.Process choose(RegionState state) {
        return Zones.named(state, name);
      }
    };
  }

  /**
   * The backup leader killed in the middle of a PostgreSQL base backup; mended when another
   * instance has completed one (answers after how long).
   */
  static Failure backupLeader() {
    return new Single("backup leader killed during a backup") {
      private Instant killedAt;
      // the base backup in a phase past "starting": its running-backup marker is in etcd (a
      // scheduled etcd snapshot running at the time is not the backup this drill interrupts)
      private final java.util.regex.Pattern running =
          java.util.regex.Pattern.compile(
              "\"target\":\"postgres\",\"id\":\"[^\"]*\",\"phase\":\"(?!starting\")");

      RegionState.Process choose(RegionState state) throws Exception {
        for (RegionState.Process p : state.processes) {
          if (p.role().equals("backup-service")
              && state
                  .operator()
                  .read(p.endpoint() + "/backups/status")
                  .body()
                  .contains("\"leader\":true")) {
            // one backup runs at a time: let a scheduled snapshot finish first
            long idle = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!state
                    .operator()
                    .read(p.endpoint() + "/backups/status")
                    .body()
                    .contains("\"running\":null")
                && System.nanoTime() < idle) {
              Thread.sleep(50);
            }
            // start a base backup and kill the leader while it runs
            HttpClient.newHttpClient()
                .sendAsync(
                    HttpRequest.newBuilder(URI.create(p.endpoint() + "/backups/postgres"))
                        .header("Authorization", "Bearer " + state.operatorKey)
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build(),
                    HttpResponse.BodyHandlers.discarding());
            // past "starting": the running-backup marker is in etcd, so the next leader knows
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!running
                .matcher(state.operator().read(p.endpoint() + "/backups/status").body())
                .find()) {
              if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the backup did not start on " + p.name());
              }
              Thread.sleep(20);
            }
            killedAt = Instant.now();
            return p;
          }
        }
        throw new IllegalStateException("no backup-service leads the backups");
      }

      @Override
      public String mend(RegionState state, Path stateFile, PrintStream out) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
          for (RegionState.Process p : state.processes) {
            if (p.role().equals("backup-service") && p.running()) {
              String body =
                  state.operator().read(p.endpoint() + "/backups", Duration.ofSeconds(10)).body();
              java.util.regex.Matcher m =
                  java.util.regex.Pattern.compile(
                          "\"target\":\"postgres\"[^}]*?\"time\":\"([^\"]+)\"")
                      .matcher(body);
              while (m.find()) {
                Instant time = Instant.parse(m.group(1));
                if (time.isAfter(killedAt)) {
                  String detail =
                      String.format(
                          "another instance completed a base backup %.1f s after the kill",
                          Duration.between(killedAt, time).toMillis() / 1000.0);
                  super.mend(state, stateFile, out);
                  return detail;
                }
              }
            }
          }
          Thread.sleep(250);
        }
        super.mend(state, stateFile, out);
        throw new IllegalStateException("no base backup completed within 60 s of the kill");
      }
    };
  }

  /** One process killed, and started again when mended. */
  abstract class Single implements Failure {
    private final String name;
    private RegionState.Process killed;

    Single(String name) {
      this.name = name;
    }

    abstract RegionState.Process choose(RegionState state) throws Exception;

    public String name() {
      return name;
    }

    public void inflict(RegionState state, PrintStream out) throws Exception {
      killed = choose(state);
      Zones.kill(killed, out);
    }

    public String mend(RegionState state, Path stateFile, PrintStream out) throws Exception {
      Zones.startAgain(state, stateFile, List.of(killed), out);
      return "-";
    }
  }
}
