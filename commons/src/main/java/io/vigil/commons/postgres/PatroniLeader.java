package io.vigil.commons.postgres;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.util.Map;
import java.util.Optional;

/**
 * The PostgreSQL primary as Patroni records it in etcd (DESIGN.md §6): {@code
 * <namespace><scope>/leader} names the leader member, {@code members/<name>} holds its JSON with
 * {@code conn_url} ({@code postgres://host:port/postgres}).
 *
 * @param member the leader's member name
 * @param host host of its PostgreSQL
 * @param port port of its PostgreSQL
 */
public record PatroniLeader(String member, String host, int port) {

  /** The key prefix of a Patroni cluster: {@code <namespace><scope>/}. */
  public static String prefix(String namespace, String scope) {
    return (namespace.endsWith("/") ? namespace : namespace + "/") + scope + "/";
  }

  /**
   * The leader found in the keys under {@link #prefix}; empty while there is none (a failover in
   * progress) or its member entry has no usable {@code conn_url}.
   */
  /**
   * The members Patroni lists as running replicas (every member but the leader whose role is not
   * primary and whose state is running or streaming), in the same shape as the leader.
   */
  public static java.util.List<PatroniLeader> replicas(
      Map<String, String> kvs, String prefix, ObjectMapper json) {
    String leader = kvs.getOrDefault(prefix + "leader", "").trim();
    java.util.List<PatroniLeader> out = new java.util.ArrayList<>();
    String members = prefix + "members/";
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(kvs).entrySet()) {
      if (!e.getKey().startsWith(members)) {
        continue;
      }
      String name = e.getKey().substring(members.length());
      try {
        var m = json.readTree(e.getValue());
        String role = m.path("role").asText();
        String state = m.path("state").asText();
        URI url = URI.create(m.path("conn_url").asText());
        if (!name.equals(leader)
            && !role.equals("master")
            && !role.equals("primary")
            && (state.equals("running") || state.equals("streaming"))
            && url.getHost() != null
            && url.getPort() > 0) {
          out.add(new PatroniLeader(name, url.getHost(), url.getPort()));
        }
      } catch (Exception ex) {
        // not a member entry this version understands: not a replica to read from
      }
    }
    return out;
  }

  public static Optional<PatroniLeader> find(
      Map<String, String> kvs, String prefix, ObjectMapper json) {
    String name = kvs.get(prefix + "leader");
    if (name == null || name.isBlank()) {
      return Optional.empty();
    }
    String member = kvs.get(prefix + "members/" + name.trim());
    if (member == null) {
      return Optional.empty();
    }
    try {
      URI url = URI.create(json.readTree(member).path("conn_url").asText());
      if (url.getHost() == null || url.getPort() <= 0) {
        return Optional.empty();
      }
      return Optional.of(new PatroniLeader(name.trim(), url.getHost(), url.getPort()));
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  /** A member as Patroni lists it: name, address, role and state. */
  public record Member(String name, String host, int port, String role, String state) {}

  /** Every member Patroni lists under {@link #prefix}, by name; unreadable entries skipped. */
  public static java.util.List<Member> members(
      Map<String, String> kvs, String prefix, ObjectMapper json) {
    java.util.List<Member> out = new java.util.ArrayList<>();
    String members = prefix + "members/";
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(kvs).entrySet()) {
      if (e.getKey().startsWith(members)) {
        try {
          var m = json.readTree(e.getValue());
          URI url = URI.create(m.path("conn_url").asText());
          out.add(
              new Member(
                  e.getKey().substring(members.length()),
                  url.getHost(),
                  url.getPort(),
                  m.path("role").asText(),
                  m.path("state").asText()));
        } catch (Exception ex) {
          // not a member entry this version understands
        }
      }
    }
    return out;
  }

  /** The synchronous standby Patroni names in {@code <prefix>sync}, or empty. */
  public static Optional<String> synchronousStandby(
      Map<String, String> kvs, String prefix, ObjectMapper json) {
    try {
      String sync =
          json.readTree(kvs.getOrDefault(prefix + "sync", "{}")).path("sync_standby").asText("");
      return sync.isBlank() ? Optional.empty() : Optional.of(sync);
    } catch (Exception e) {
      return Optional.empty();
    }
  }
}
