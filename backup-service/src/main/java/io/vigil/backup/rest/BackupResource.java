package io.vigil.backup.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import io.vigil.backup.config.BackupConfig;
import io.vigil.backup.repository.BackupRepository;
import io.vigil.backup.repository.RecoveryPoint;
import io.vigil.backup.service.BackupLeader;
import io.vigil.backup.service.BackupService;
import io.vigil.backup.service.DrillService;
import io.vigil.backup.service.Progress;
import io.vigil.backup.service.RegionCopier;
import io.vigil.backup.service.RestoreService;
import io.vigil.backup.service.WalArchiver;
import io.vigil.commons.api.ApiError;
import io.vigil.commons.api.ApiException;
import io.vigil.commons.security.Operator;
import io.vigil.commons.topology.RegionConfig;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The backup API: recovery points and the recovery window per target, a backup now, the status of
 * the running backup with its progress, and a verification of the whole repository.
 */
@Operator
@Path("/backups")
@Produces(MediaType.APPLICATION_JSON)
public class BackupResource {

  private final BackupService backups;
  private final BackupRepository repository;
  private final BackupLeader leader;
  private final DrillService drills;
  private final RegionConfig region;
  private final ObjectMapper json;

  private final WalArchiver wal;
  private final RegionCopier copier;
  private final BackupConfig config;

  BackupResource(
      BackupConfig config,
      BackupService backups,
      BackupRepository repository,
      BackupLeader leader,
      DrillService drills,
      WalArchiver wal,
      RegionCopier copier,
      RegionConfig region,
      ObjectMapper json) {
    this.config = config;
    this.wal = wal;
    this.copier = copier;
    this.drills = drills;
    this.backups = backups;
    this.repository = repository;
    this.leader = leader;
    this.region = region;
    this.json = json;
  }

  @GET
  @Blocking
  public ObjectNode list() {
    ObjectNode out = json.createObjectNode();
    out.put("region", region.name());
    ObjectNode points = out.putObject("recovery_points");
    ObjectNode window = out.putObject("recovery_window");
    List<RecoveryPoint> wal = repository.list(BackupRepository.WAL);
    for (String target : BackupService.TARGETS) {
      List<RecoveryPoint> list = repository.list(target);
      points.set(target, json.valueToTree(list));
      ObjectNode w = window.putObject(target);
      RestoreService.window(list, target.equals("postgres") ? wal : List.of())
          .ifPresent(
              range -> {
                w.put("from", range[0].toString());
                w.put("to", range[1].toString());
              });
    }
    ObjectNode archive = out.putObject("wal");
    archive.put("streaming", this.wal.streaming());
    archive.put("segments", wal.stream().filter(p -> !p.id().endsWith(".history")).count());
    archive.put("bytes", wal.stream().mapToLong(RecoveryPoint::size).sum());
    if (!wal.isEmpty()) {
      archive.put("newest", wal.get(wal.size() - 1).id());
      archive.put("newest_time", wal.get(wal.size() - 1).time().toString());
    }
    return out;
  }

  @GET
  @Path("/status")
  public ObjectNode status() {
    ObjectNode out = json.createObjectNode();
    out.put("region", region.name());
    out.put("leader", leader.leader());
    Progress p = backups.running().orElse(null);
    if (p == null) {
      out.putNull("running");
    } else {
      out.putObject("running")
          .put("target", p.target())
          .put("id", p.id())
          .put("phase", p.phase())
          .put("started_at", p.startedAt().toString())
          .put("bytes", p.bytes())
          .put("total_bytes", p.total())
          .put("percent", p.percent())
          .put("bytes_per_second", Math.round(p.rate()));
    }
    ObjectNode last = out.putObject("last");
    backups.last().forEach((target, o) -> last.set(target, json.valueToTree(o)));
    ObjectNode archive = out.putObject("wal");
    archive.put("configured", wal.enabled());
    archive.put("streaming", wal.streaming());
    wal.slot().ifPresentOrElse(s -> archive.put("slot", s), () -> archive.putNull("slot"));
    wal.durableAt()
        .ifPresentOrElse(
            t -> archive.put("durable_at", t.toString()), () -> archive.putNull("durable_at"));
    ObjectNode c = out.putObject("copy");
    c.put("configured", copier.enabled());
    copier.destination().ifPresent(d -> c.put("destination", d));
    c.put("pending", copier.pending());
    copier.lastVerified().ifPresent(t -> c.put("last_verified", t.toString()));
    copier.standbyDurable().ifPresent(w -> c.put("standby_durable_wal", w.toString()));
    copier.lastError().ifPresent(e -> c.put("last_error", e));
    ObjectNode rpo = out.putObject("rpo");
    for (String target : BackupService.TARGETS) {
      ObjectNode t = rpo.putObject(target);
      t.put("configured", backups.enabled(target));
      t.put("objective_seconds", backups.objective(target).toSeconds());
      backups
          .exposure(target)
          .ifPresentOrElse(
              e -> t.put("exposure_seconds", e.toMillis() / 1000.0),
              () -> t.putNull("exposure_seconds"));
    }
    return out;
  }

  /** Backs {@code target} up now and answers with the new recovery point. */
  @POST
  @Path("/{target}")
  @Blocking
  public Uni<Response> now(@PathParam("target") String target) {
    if (!BackupService.TARGETS.contains(target)) {
      throw new ApiException(
          404,
          "unknown_target",
          "no backup target '" + target + "'; targets: " + BackupService.TARGETS);
    }
    if (!backups.enabled(target)) {
      throw new ApiException(
          409, "target_not_configured", target + " is not configured on this instance");
    }
    if (!leader.leader()) {
      throw new ApiException(
          409,
          "not_leader",
          "this instance does not lead the backups of "
              + region.name()
              + "; the leader is "
              + leader.currentLeader());
    }
    CompletableFuture<RecoveryPoint> started =
        backups
            .start(target)
            .orElseThrow(
                () ->
                    new ApiException(
                        409,
                        "backup_running",
                        "backup "
                            + backups.running().map(Progress::id).orElse("?")
                            + " is running; try again when it ends"));
    String id = backups.running().map(Progress::id).orElse("");
    return Uni.createFrom()
        .completionStage(started)
        .map(point -> Response.status(201).entity(point).build())
        .ifNoItem()
        .after(config.requestWait())
        .recoverWithItem(() -> accepted(id, target, "/backups/status"))
        .onFailure()
        .recoverWithItem(
            f ->
                ApiError.response(
                    500, "backup_failed", target + " backup failed: " + f.getMessage()));
  }

  /** The last restore drill of each target: when it was last proven restorable, and how fast. */
  @GET
  @Path("/drills")
  public ObjectNode drills() {
    ObjectNode out = json.createObjectNode();
    drills.last().forEach((target, r) -> out.set(target, json.valueToTree(r)));
    return out;
  }

  /** Restores the newest backup of {@code target} into a scratch instance now. */
  @POST
  @Path("/drills/{target}")
  @Blocking
  public Uni<Response> drill(@PathParam("target") String target) {
    if (!BackupService.TARGETS.contains(target)) {
      throw new ApiException(404, "unknown_target", "no backup target '" + target + "'");
    }
    if (repository.list(target).isEmpty()) {
      throw new ApiException(
          404, "no_recovery_point", "the repository has no " + target + " backup");
    }
    if (!leader.leader()) {
      throw new ApiException(
          409, "not_leader", "drills run on the backup leader: " + leader.currentLeader());
    }
    CompletableFuture<DrillService.Result> started =
        drills
            .start(target)
            .orElseThrow(() -> new ApiException(409, "drill_running", "a drill is running"));
    return Uni.createFrom()
        .completionStage(started)
        .ifNoItem()
        .after(config.requestWait())
        .recoverWithItem(() -> null)
        .map(
            r ->
                r == null
                    ? accepted("drill-" + target, target, "/backups/drills")
                    : r.succeeded()
                        ? Response.status(201).entity(r).build()
                        : ApiError.response(
                            500, "drill_failed", target + " drill failed: " + r.detail()));
  }

  /** 202: the work goes on; {@code location} shows how it went. */
  private Response accepted(String id, String target, String location) {
    ObjectNode body = json.createObjectNode();
    body.put("id", id).put("target", target).put("state", "running");
    return Response.accepted(body).header("Location", location).build();
  }

  /** Checks every artifact's size and SHA-256 against its metadata. */
  @POST
  @Path("/verify")
  @Blocking
  public Response verify() {
    int checked = 0;
    List<String> problems = new ArrayList<>();
    for (String target : BackupService.TARGETS) {
      for (RecoveryPoint p : repository.list(target)) {
        checked++;
        String problem = repository.check(p);
        if (problem != null) {
          problems.add(problem);
        }
      }
    }
    if (!problems.isEmpty()) {
      ApiError error =
          ApiError.of(
              "repository_corrupted",
              problems.size() + " of " + checked + " artifacts failed verification");
      for (String p : problems) {
        error = error.with("artifact_corrupted", p);
      }
      return error.response(409);
    }
    ObjectNode out = json.createObjectNode();
    out.put("verified", checked);
    return Response.ok(out).build();
  }
}
