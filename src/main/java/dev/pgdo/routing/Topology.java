package dev.pgdo.routing;

import io.vertx.core.json.JsonObject;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Regions, their pool sizes and fallbacks, and the colo table. Immutable and thread-safe.
 *
 * <p>A colo maps to a <em>location</em> region (the seed's location hint, e.g. {@code sam} for
 * {@code GRU}); a region with {@code servedBy} has no pool of its own and is answered by the pool
 * of the region it names, followed transitively ({@code sam → enam}).
 */
public final class Topology {

  private static final Pattern REGION_ID = Pattern.compile("[a-z]+");

  /**
   * One region's settings: its pool size; when it has no pool, who serves it; and, in a cluster,
   * the regions whose nodes host its members (in order) when no node of its own is up.
   */
  public record Region(String id, int poolSize, String servedBy, List<String> fallbacks) {
  }

  private final String defaultRegion;
  private final Map<String, Region> regions;
  private final Map<String, String> colos;

  private Topology(String defaultRegion, Map<String, Region> regions, Map<String, String> colos) {
    this.defaultRegion = defaultRegion;
    this.regions = Collections.unmodifiableMap(regions);
    this.colos = Collections.unmodifiableMap(colos);
  }

  public static Topology from(JsonObject config) {
    if (!(config.getValue("regions") instanceof JsonObject regionsJson) || regionsJson.isEmpty()) {
      throw new TopologyException("regions", "at least one region is required");
    }
    Map<String, Region> regions = new LinkedHashMap<>();
    for (String id : regionsJson.fieldNames()) {
      if (!REGION_ID.matcher(id).matches()) {
        throw new TopologyException("regions." + id, "region ids are lower-case letters only");
      }
      if (!(regionsJson.getValue(id) instanceof JsonObject r)) {
        throw new TopologyException("regions." + id, "expected an object such as {\"poolSize\": 3}");
      }
      Object size = r.getValue("poolSize", 0);
      if (!(size instanceof Number number) || number.doubleValue() != number.intValue()) {
        throw new TopologyException("regions." + id + ".poolSize", "expected an integer");
      }
      int poolSize = number.intValue();
      if (poolSize < 0 || poolSize > 64) {
        throw new TopologyException("regions." + id + ".poolSize", "must be between 0 and 64");
      }
      if (r.getValue("servedBy") != null && !(r.getValue("servedBy") instanceof String)) {
        throw new TopologyException("regions." + id + ".servedBy", "expected a region id");
      }
      String servedBy = r.getString("servedBy");
      if (poolSize == 0 && servedBy == null) {
        throw new TopologyException("regions." + id, "a region without a pool needs 'servedBy'");
      }
      Object fallbacks = r.getValue("fallbacks", new io.vertx.core.json.JsonArray());
      if (!(fallbacks instanceof io.vertx.core.json.JsonArray list)) {
        throw new TopologyException("regions." + id + ".fallbacks", "expected an array of region ids");
      }
      regions.put(id, new Region(id, poolSize, poolSize > 0 ? null : servedBy,
          list.stream().map(String::valueOf).toList()));
    }
    Map<String, String> colos = new LinkedHashMap<>();
    if (!(config.getValue("colos", new JsonObject()) instanceof JsonObject colosJson)) {
      throw new TopologyException("colos", "expected an object of colo → region");
    }
    for (String colo : colosJson.fieldNames()) {
      if (!(colosJson.getValue(colo) instanceof String region)) {
        throw new TopologyException("colos." + colo, "expected a region id");
      }
      if (!ColoDetector.isColo(colo)) {
        throw new TopologyException("colos." + colo, "colo codes are three letters");
      }
      if (!regions.containsKey(region)) {
        throw new TopologyException("colos." + colo, "unknown region '" + region + "'");
      }
      colos.put(colo.toUpperCase(Locale.ROOT), region);
    }
    Object defaultValue = config.getValue("defaultRegion");
    String defaultRegion = defaultValue instanceof String s ? s : null;
    if (!regions.containsKey(defaultRegion)) {
      throw new TopologyException("defaultRegion", "unknown region '" + defaultRegion + "'");
    }
    Topology topology = new Topology(defaultRegion, regions, colos);
    for (Region region : regions.values()) {
      topology.poolRegion(region.id()); // fails on a missing or cyclic servedBy
      for (String fallback : region.fallbacks()) {
        if (!regions.containsKey(fallback)) {
          throw new TopologyException("regions." + region.id() + ".fallbacks", "unknown region '" + fallback + "'");
        }
      }
    }
    return topology;
  }

  public String defaultRegion() {
    return defaultRegion;
  }

  public Map<String, Region> regions() {
    return regions;
  }

  /** Regions that have a pool of their own, in configuration order. */
  public List<String> pooledRegions() {
    return regions.values().stream().filter(r -> r.poolSize() > 0).map(Region::id).toList();
  }

  /** The location region of a colo code (any case), or the default region when unknown or null. */
  public String locationRegion(String colo) {
    if (colo == null) {
      return defaultRegion;
    }
    return colos.getOrDefault(colo.toUpperCase(Locale.ROOT), defaultRegion);
  }

  /** The region whose pool answers for {@code region}, following {@code servedBy}. */
  public String poolRegion(String region) {
    String current = region;
    for (int hops = 0; hops <= regions.size(); hops++) {
      Region r = regions.get(current);
      if (r == null) {
        throw new TopologyException("regions." + region + ".servedBy", "unknown region '" + current + "'");
      }
      if (r.poolSize() > 0) {
        return current;
      }
      current = r.servedBy();
    }
    throw new TopologyException("regions." + region + ".servedBy", "servedBy forms a cycle");
  }

  public int poolSize(String region) {
    Region r = regions.get(region);
    return r == null ? 0 : r.poolSize();
  }

  public Map<String, String> colos() {
    return colos;
  }
}
