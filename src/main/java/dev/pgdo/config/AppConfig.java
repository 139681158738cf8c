package dev.pgdo.config;

import dev.pgdo.routing.Topology;
import dev.pgdo.routing.TopologyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.List;

/**
 * The validated, immutable configuration of one node. Built once by {@link ConfigLoader};
 * safe to share between verticles.
 *
 * @param hostedRegions the regions whose pool members this node runs (already expanded from "*")
 */
public record AppConfig(
    String nodeId,
    String nodeRegion,
    Http http,
    List<String> hostedRegions,
    Path dataDir,
    String adminToken,
    String tenantSecret,
    Database database,
    long keepWarmIntervalMs,
    Compute compute,
    Limits limits,
    boolean opsPublic,
    long drainMs,
    Cluster cluster,
    Logging logging,
    Topology topology,
    ResourceLimits resources) {

  /** @param level the level of the service's own loggers ({@code debug} adds one line per request) */
  public record Logging(boolean json, String level) {
  }

  /**
   * Clustering over Hazelcast (TCP-IP join, multicast off). {@code host} is the private
   * interface both Hazelcast and the event bus bind to. With {@code requirePeers}, a node that
   * finds no other member within {@code joinTimeoutMs} (a wrong member list, cluster name or
   * network) stops instead of running as a cluster of one.
   */
  public record Cluster(boolean enabled, String name, String host, int port, List<String> members, int busPort,
                        int heartbeatSeconds, int maxNoHeartbeatSeconds, long joinTimeoutMs, boolean requirePeers) {
  }

  /**
   * @param headerTimeoutMs       a request's headers must be complete this long after the connection
   *                              opened or after the request's first byte, else the connection is closed
   * @param idleTimeoutMs         a connection with no byte in either direction this long is closed
   * @param maxConnections        open HTTP connections per node; one more is answered 503 and closed
   * @param authFailuresPerMinute failed tenant authentications per client address and per tenant id
   *                              per minute before further failures answer 429
   */
  public record Http(String host, int port, int instances, long headerTimeoutMs, long idleTimeoutMs,
                     int maxConnections, int authFailuresPerMinute) {
  }

  /** {@code url} is null when the node runs its own embedded PostgreSQL. */
  public record Database(String url, String metadataDb, int embeddedPort, int adminPoolSize) {
    public boolean embedded() {
      return url == null || url.isBlank();
    }
  }

  /** @param maxConnections the node's budget of tenant connections, across all its members */
  public record Compute(int maxConnections, int connectionsPerTenant, int warmConnectionsPerTenant, int maxTenantsPerMember,
                        long tenantIdleMs, int prewarmTenants, int connectTimeoutMs) {
  }

  public record Limits(int maxBodyBytes, int statementTimeoutMs, int maxResultRows, long maxResultBytes,
                       int tenantConcurrency) {
  }

  /**
   * The guards of resources every tenant shares in one PostgreSQL (README "Resource isolation").
   *
   * @param maxLocksPerTenant  lock-table entries one tenant role may hold, all its sessions together;
   *                           0: a tenth of the server's lock table, read at start
   * @param lockCheckIntervalMs how often the lock guard samples {@code pg_locks}
   * @param lockPenaltyMs      how long an ended offender's requests answer {@code resource_limit}
   * @param tempFileLimitMb    {@code temp_file_limit} set on every tenant role; 0: none
   * @param maxTenantBytes     default disk quota per tenant database; 0: none
   * @param quotaCheckIntervalMs how often tenant database sizes are measured
   * @param workMemMb          {@code work_mem} every tenant connection starts with and returns to after each request
   * @param hashMemMultiplier  {@code hash_mem_multiplier}, likewise
   * @param maintenanceWorkMemMb {@code maintenance_work_mem}, likewise
   */
  public record ResourceLimits(long maxLocksPerTenant, long lockCheckIntervalMs, long lockPenaltyMs,
                               long tempFileLimitMb, long maxTenantBytes, long quotaCheckIntervalMs,
                               long workMemMb, long hashMemMultiplier, long maintenanceWorkMemMb) {
  }

  static AppConfig from(JsonObject json) {
    Topology topology = topology(json);
    String nodeRegion = string(json, "node.region");
    if (!topology.regions().containsKey(nodeRegion)) {
      throw new ConfigException("node.region", "unknown region '" + nodeRegion + "'");
    }
    String nodeId = optionalString(json, "node.id");
    if (nodeId == null) {
      nodeId = "node-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    }
    Http http = new Http(string(json, "http.host"), intIn(json, "http.port", 0, 65535),
        intIn(json, "http.instances", 1, 64), longIn(json, "http.headerTimeoutMs", 100, 600_000),
        longIn(json, "http.idleTimeoutMs", 100, 86_400_000L), intIn(json, "http.maxConnections", 1, 1_000_000),
        intIn(json, "http.authFailuresPerMinute", 1, 1_000_000));
    Database database = new Database(optionalString(json, "database.url"), string(json, "database.metadataDb"),
        intIn(json, "database.embeddedPort", 0, 65535), intIn(json, "database.adminPoolSize", 1, 64));
    Compute compute = new Compute(
        intIn(json, "compute.maxConnections", 1, 100_000),
        intIn(json, "compute.connectionsPerTenant", 1, 64),
        intIn(json, "compute.warmConnectionsPerTenant", 0, 64),
        intIn(json, "compute.maxTenantsPerMember", 1, 100_000),
        longIn(json, "compute.tenantIdleMs", 1_000, Long.MAX_VALUE),
        intIn(json, "compute.prewarmTenants", 0, 100_000),
        intIn(json, "compute.connectTimeoutMs", 100, 600_000));
    if (compute.warmConnectionsPerTenant() > compute.connectionsPerTenant()) {
      throw new ConfigException("compute.warmConnectionsPerTenant", "cannot exceed compute.connectionsPerTenant");
    }
    Limits limits = new Limits(
        intIn(json, "limits.maxBodyBytes", 1, Integer.MAX_VALUE),
        intIn(json, "limits.statementTimeoutMs", 1, Integer.MAX_VALUE),
        intIn(json, "limits.maxResultRows", 1, Integer.MAX_VALUE),
        longIn(json, "limits.maxResultBytes", 1, Long.MAX_VALUE),
        intIn(json, "limits.tenantConcurrency", 1, 100_000));
    if (http.idleTimeoutMs() <= limits.statementTimeoutMs()) {
      // no byte flows while a statement runs: the idle timeout would cut a running query's connection
      throw new ConfigException("http.idleTimeoutMs", "must exceed limits.statementTimeoutMs ("
          + limits.statementTimeoutMs() + ")");
    }
    Cluster cluster = cluster(json);
    if (cluster.enabled() && database.embedded()) {
      throw new ConfigException("database.url", "clustered nodes share one PostgreSQL: set it (PGDO_DATABASE_URL)");
    }
    return new AppConfig(nodeId, nodeRegion, http, hostedRegions(json, topology), Path.of(string(json, "dataDir")),
        optionalString(json, "adminToken"), optionalString(json, "tenantSecret"), database,
        longIn(json, "keepWarm.intervalMs", 100, 86_400_000L), compute, limits, bool(json, "ops.public"),
        longIn(json, "shutdown.drainMs", 0, 600_000), cluster, logging(json), topology, resourceLimits(json));
  }

  private static ResourceLimits resourceLimits(JsonObject json) {
    return new ResourceLimits(
        longIn(json, "limits.maxLocksPerTenant", 0, 100_000_000),
        longIn(json, "limits.lockCheckIntervalMs", 100, 3_600_000),
        longIn(json, "limits.lockPenaltyMs", 0, 3_600_000),
        longIn(json, "limits.tempFileLimitMb", 0, 2_000_000_000),
        longIn(json, "limits.maxTenantBytes", 0, Long.MAX_VALUE),
        longIn(json, "limits.quotaCheckIntervalMs", 100, 86_400_000),
        longIn(json, "limits.workMemMb", 1, 2_000_000),
        longIn(json, "limits.hashMemMultiplier", 1, 1000),
        longIn(json, "limits.maintenanceWorkMemMb", 1, 2_000_000));
  }

  private static Logging logging(JsonObject json) {
    String level = string(json, "logging.level").toLowerCase(java.util.Locale.ROOT);
    if (!List.of("error", "warn", "info", "debug", "trace").contains(level)) {
      throw new ConfigException("logging.level", "one of error, warn, info, debug, trace");
    }
    return new Logging(bool(json, "logging.json"), level);
  }

  private static Cluster cluster(JsonObject json) {
    if (!(value(json, "cluster.members") instanceof JsonArray members) || members.isEmpty()) {
      throw new ConfigException("cluster.members", "expected a non-empty array of \"host:port\"");
    }
    List<String> list = members.stream().map(String::valueOf).toList();
    for (String member : list) {
      if (!member.matches("[^:\\s]+:\\d{1,5}")) {
        throw new ConfigException("cluster.members", "'" + member + "' is not host:port");
      }
    }
    String host = string(json, "cluster.host");
    if (!host.matches("\\d{1,3}(\\.\\d{1,3}){3}") && !host.contains(":")) {
      // Hazelcast binds to interfaces given as IP addresses; a host name would fail the join later
      throw new ConfigException("cluster.host", "expected an IP address of a private interface, got '" + host + "'");
    }
    String name = string(json, "cluster.name");
    if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new ConfigException("cluster.name", "letters, digits, '.', '_' and '-' only");
    }
    return new Cluster(bool(json, "cluster.enabled"), name, host,
        intIn(json, "cluster.port", 1, 65535), list, intIn(json, "cluster.busPort", 0, 65535),
        intIn(json, "cluster.heartbeatSeconds", 1, 60), intIn(json, "cluster.maxNoHeartbeatSeconds", 2, 600),
        longIn(json, "cluster.joinTimeoutMs", 1_000, 600_000), bool(json, "cluster.requirePeers"));
  }

  private static Topology topology(JsonObject json) {
    try {
      return Topology.from(json);
    } catch (TopologyException e) {
      throw new ConfigException(e.key(), e.problem());
    }
  }

  private static List<String> hostedRegions(JsonObject json, Topology topology) {
    Object raw = value(json, "hostedRegions");
    if (!(raw instanceof JsonArray array)) {
      throw new ConfigException("hostedRegions", "expected an array of region ids or [\"*\"]");
    }
    if (array.contains("*")) {
      return topology.pooledRegions();
    }
    List<String> hosted = array.stream().map(String::valueOf).toList();
    for (String region : hosted) {
      if (topology.poolSize(region) == 0) {
        throw new ConfigException("hostedRegions", "'" + region + "' is not a region with a pool");
      }
    }
    return hosted;
  }

  private static Object value(JsonObject json, String key) {
    Object current = json;
    for (String part : key.split("\\.")) {
      if (!(current instanceof JsonObject obj)) {
        return null;
      }
      current = obj.getValue(part);
    }
    return current;
  }

  private static String optionalString(JsonObject json, String key) {
    Object v = value(json, key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw new ConfigException(key, "expected a string");
    }
    return s.isBlank() ? null : s;
  }

  private static String string(JsonObject json, String key) {
    String s = optionalString(json, key);
    if (s == null) {
      throw new ConfigException(key, "a value is required");
    }
    return s;
  }

  private static boolean bool(JsonObject json, String key) {
    if (!(value(json, key) instanceof Boolean b)) {
      throw new ConfigException(key, "expected true or false");
    }
    return b;
  }

  private static long longIn(JsonObject json, String key, long min, long max) {
    if (!(value(json, key) instanceof Number n) || n.doubleValue() != n.longValue()) {
      throw new ConfigException(key, "expected an integer");
    }
    long v = n.longValue();
    if (v < min || v > max) {
      throw new ConfigException(key, "must be between " + min + " and " + max + ", got " + v);
    }
    return v;
  }

  private static int intIn(JsonObject json, String key, int min, int max) {
    return (int) longIn(json, key, min, max);
  }
}
