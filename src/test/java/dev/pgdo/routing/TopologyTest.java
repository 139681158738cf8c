package dev.pgdo.routing;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Map.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Topology built from the shipped conf/regions.json")
class TopologyTest {

  /**
   * COLO_TO_REGION transcribed from the seed design document. South America maps straight to
   * enam and Africa / Middle East straight to eeur there: the effective pool region must match.
   */
  private static final Map<String, String> SEED = Map.ofEntries(
      // Western North America
      entry("SEA", "wnam"), entry("LAX", "wnam"), entry("SJC", "wnam"), entry("DEN", "wnam"),
      entry("SFO", "wnam"), entry("PDX", "wnam"), entry("PHX", "wnam"), entry("SLC", "wnam"),
      // Eastern North America
      entry("ORD", "enam"), entry("DFW", "enam"), entry("EWR", "enam"), entry("MIA", "enam"),
      entry("ATL", "enam"), entry("IAD", "enam"), entry("BOS", "enam"), entry("YYZ", "enam"),
      // Western Europe
      entry("LHR", "weur"), entry("CDG", "weur"), entry("AMS", "weur"), entry("MAD", "weur"),
      entry("LIS", "weur"), entry("DUB", "weur"), entry("BRU", "weur"),
      // Eastern Europe
      entry("FRA", "eeur"), entry("PRG", "eeur"), entry("VIE", "eeur"), entry("WAW", "eeur"),
      entry("ZRH", "eeur"), entry("ARN", "eeur"), entry("MRS", "eeur"), entry("MXP", "eeur"),
      entry("HEL", "eeur"), entry("CPH", "eeur"), entry("OSL", "eeur"),
      // Asia-Pacific
      entry("NRT", "apac"), entry("KIX", "apac"), entry("HKG", "apac"), entry("SIN", "apac"),
      entry("ICN", "apac"), entry("BKK", "apac"), entry("KUL", "apac"), entry("TPE", "apac"),
      // Oceania
      entry("SYD", "oc"), entry("MEL", "oc"), entry("BNE", "oc"), entry("AKL", "oc"),
      entry("PER", "oc"),
      // South America -> Eastern North America
      entry("GRU", "enam"), entry("GIG", "enam"), entry("EZE", "enam"), entry("SCL", "enam"),
      entry("BOG", "enam"), entry("LIM", "enam"),
      // Africa -> Eastern Europe
      entry("JNB", "eeur"), entry("CPT", "eeur"), entry("NBO", "eeur"), entry("LOS", "eeur"),
      // Middle East -> Eastern Europe
      entry("DXB", "eeur"), entry("DOH", "eeur"), entry("TLV", "eeur"), entry("BAH", "eeur"));

  private static Topology topology;

  @BeforeAll
  static void load() throws Exception {
    topology = Topology.from(new JsonObject(Files.readString(Path.of("conf/regions.json"))));
  }

  @Test
  @DisplayName("the seed table has the 61 colos it lists")
  void seedSize() {
    assertThat(SEED).hasSize(61);
  }

  @Test
  @DisplayName("every seed colo reaches the pool region the seed names")
  void everySeedColo() {
    Map<String, String> actual = new LinkedHashMap<>();
    SEED.keySet().forEach(colo -> actual.put(colo, topology.poolRegion(topology.locationRegion(colo))));
    assertThat(actual).containsExactlyInAnyOrderEntriesOf(SEED);
  }

  @Test
  @DisplayName("the shipped colo table covers exactly the seed's colos")
  void sameColos() {
    assertThat(topology.colos().keySet()).containsExactlyInAnyOrderElementsOf(SEED.keySet());
  }

  @Test
  @DisplayName("South America, Africa and Middle East colos keep their own location region")
  void locationRegions() {
    assertThat(topology.locationRegion("GRU")).isEqualTo("sam");
    assertThat(topology.locationRegion("JNB")).isEqualTo("afr");
    assertThat(topology.locationRegion("DXB")).isEqualTo("me");
    assertThat(topology.poolRegion("sam")).isEqualTo("enam");
    assertThat(topology.poolRegion("afr")).isEqualTo("eeur");
    assertThat(topology.poolRegion("me")).isEqualTo("eeur");
  }

  @Test
  @DisplayName("lower-case colo input works")
  void lowerCase() {
    assertThat(topology.locationRegion("lhr")).isEqualTo("weur");
    assertThat(topology.locationRegion("Syd")).isEqualTo("oc");
    assertThat(topology.poolRegion(topology.locationRegion("gru"))).isEqualTo("enam");
  }

  @Test
  @DisplayName("unknown and null colos map to the default region enam")
  void unknownColo() {
    assertThat(topology.defaultRegion()).isEqualTo("enam");
    assertThat(topology.locationRegion("ZZZ")).isEqualTo("enam");
    assertThat(topology.locationRegion(null)).isEqualTo("enam");
  }

  @Test
  @DisplayName("pool sizes match the shipped configuration")
  void poolSizes() {
    assertThat(topology.poolSize("wnam")).isEqualTo(3);
    assertThat(topology.poolSize("enam")).isEqualTo(5);
    assertThat(topology.poolSize("weur")).isEqualTo(4);
    assertThat(topology.poolSize("eeur")).isEqualTo(3);
    assertThat(topology.poolSize("apac")).isEqualTo(4);
    assertThat(topology.poolSize("oc")).isEqualTo(2);
    assertThat(topology.poolSize("sam")).isZero();
    assertThat(topology.poolSize("nowhere")).isZero();
    assertThat(topology.pooledRegions()).containsExactlyInAnyOrder("wnam", "enam", "weur", "eeur", "apac", "oc");
  }

  private static JsonObject minimal() {
    return new JsonObject()
        .put("defaultRegion", "enam")
        .put("regions", new JsonObject()
            .put("enam", new JsonObject().put("poolSize", 2))
            .put("sam", new JsonObject().put("poolSize", 0).put("servedBy", "enam")))
        .put("colos", new JsonObject().put("GRU", "sam").put("ORD", "enam"));
  }

  @Test
  @DisplayName("a minimal valid document is accepted")
  void minimalValid() {
    Topology t = Topology.from(minimal());
    assertThat(t.poolRegion(t.locationRegion("GRU"))).isEqualTo("enam");
    assertThat(t.pooledRegions()).containsExactly("enam");
  }

  @Test
  @DisplayName("a servedBy cycle is rejected, naming the servedBy key")
  void cycle() {
    JsonObject config = minimal();
    config.getJsonObject("regions")
        .put("afr", new JsonObject().put("poolSize", 0).put("servedBy", "me"))
        .put("me", new JsonObject().put("poolSize", 0).put("servedBy", "afr"));
    assertThatThrownBy(() -> Topology.from(config))
        .isInstanceOf(TopologyException.class)
        .hasMessageContaining("servedBy")
        .hasMessageContaining("cycle");
  }

  @Test
  @DisplayName("a self-referencing servedBy is rejected")
  void selfCycle() {
    JsonObject config = minimal();
    config.getJsonObject("regions").put("me", new JsonObject().put("poolSize", 0).put("servedBy", "me"));
    assertThatThrownBy(() -> Topology.from(config))
        .isInstanceOf(TopologyException.class)
        .hasMessageContaining("regions.me.servedBy");
  }

  @Test
  @DisplayName("servedBy naming an unknown region is rejected")
  void servedByUnknown() {
    JsonObject config = minimal();
    config.getJsonObject("regions").put("me", new JsonObject().put("poolSize", 0).put("servedBy", "mars"));
    assertThatThrownBy(() -> Topology.from(config))
        .isInstanceOf(TopologyException.class)
        .hasMessageContaining("regions.me.servedBy");
  }

  @Test
  @DisplayName("a colo mapped to an unknown region is rejected, naming the colo key")
  void coloUnknownRegion() {
    JsonObject config = minimal();
    config.getJsonObject("colos").put("LHR", "mars");
    assertThatThrownBy(() -> Topology.from(config))
        .isInstanceOf(TopologyException.class)
        .hasMessageContaining("colos.LHR");
  }

  @Test
  @DisplayName("a malformed colo code is rejected")
  void badColoCode() {
    JsonObject config = minimal();
    config.getJsonObject("colos").put("LHRX", "enam");
    assertThatThrownBy(() -> Topology.from(config))
        .isInstanceOf(TopologyException.class)
        .hasMessageContaining("colos.LHRX");
  }

  @Test
  @DisplayName("an unknown defaultRegion is rejected, naming defaultRegion")
  void unknownDefault() {
    JsonObject config = minimal().put("defaultRegion", "mars");
    assertThatThrownBy(() -> Topology.from(config))
        .isInstanceOf(TopologyException.class)
        .hasMessageContaining("defaultRegion");
  }

  @Test
  @DisplayName("a missing defaultRegion is rejected, naming defaultRegion")
  void missingDefault() {
    JsonObject config = minimal();
    config.remove("defaultRegion");
    assertThatThrownBy(() -> Topology.from(config))
        .isInstanceOf(TopologyException.class)
        .hasMessageContaining("defaultRegion");
  }

  @Test
  @DisplayName("a region with poolSize 0 and no servedBy is rejected, naming the region")
  void zeroPoolNoFallback() {
    JsonObject config = minimal();
    config.getJsonObject("regions").put("afr", new JsonObject().put("poolSize", 0));
    assertThatThrownBy(() -> Topology.from(config))
        .isInstanceOf(TopologyException.class)
        .hasMessageContaining("regions.afr");
  }

  @Test
  @DisplayName("a negative pool size is rejected, naming the poolSize key")
  void negativePool() {
    JsonObject config = minimal();
    config.getJsonObject("regions").put("weur", new JsonObject().put("poolSize", -1));
    assertThatThrownBy(() -> Topology.from(config))
        .isInstanceOf(TopologyException.class)
        .hasMessageContaining("regions.weur.poolSize");
  }

  @Test
  @DisplayName("no regions at all is rejected")
  void noRegions() {
    JsonObject config = minimal().put("regions", new JsonObject());
    assertThatThrownBy(() -> Topology.from(config))
        .isInstanceOf(TopologyException.class)
        .hasMessageContaining("regions");
  }
}
