package dev.pgdo.config;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("ConfigLoader: defaults < file < flags < env")
class ConfigLoaderTest {

  @TempDir
  Path tmp;

  private static AppConfig load(Map<String, String> env, String... args) {
    return ConfigLoader.load(args, env);
  }

  private Path confFile(String json) throws IOException {
    Path file = tmp.resolve("node-" + System.nanoTime() + ".json");
    Files.writeString(file, json);
    return file;
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "limits.statementTimeoutMs, PGDO_LIMITS_STATEMENT_TIMEOUT_MS",
      "http.port, PGDO_HTTP_PORT",
      "adminToken, PGDO_ADMIN_TOKEN",
      "database.url, PGDO_DATABASE_URL",
      "limits.maxResultBytes, PGDO_LIMITS_MAX_RESULT_BYTES",
      "keepWarm.intervalMs, PGDO_KEEP_WARM_INTERVAL_MS",
      "hostedRegions, PGDO_HOSTED_REGIONS",
      "ops.public, PGDO_OPS_PUBLIC",
  })
  @DisplayName("envName: PGDO_ + dots and camelCase as upper snake case")
  void envName(String key, String expected) {
    assertThat(ConfigLoader.envName(key)).isEqualTo(expected);
  }

  @Test
  @DisplayName("defaults match API.md")
  void defaults() {
    AppConfig c = load(Map.of());
    assertThat(c.http().port()).isEqualTo(8080);
    assertThat(c.topology().defaultRegion()).isEqualTo("enam");
    assertThat(c.nodeRegion()).isEqualTo("enam");
    assertThat(c.limits().maxBodyBytes()).isEqualTo(1_048_576);
    assertThat(c.limits().statementTimeoutMs()).isEqualTo(30_000);
    assertThat(c.limits().maxResultRows()).isEqualTo(100_000);
    assertThat(c.limits().maxResultBytes()).isEqualTo(10_485_760L);
    assertThat(c.limits().tenantConcurrency()).isEqualTo(32);
    assertThat(c.keepWarmIntervalMs()).isEqualTo(30_000L);
    assertThat(c.hostedRegions()).containsExactlyInAnyOrder("wnam", "enam", "weur", "eeur", "apac", "oc");
    assertThat(c.opsPublic()).isFalse();
    assertThat(c.database().embedded()).isTrue();
    assertThat(c.adminToken()).isNull();
    assertThat(c.nodeId()).isNotBlank();
  }

  @Test
  @DisplayName("-conf conf/local.json turns ops.public on")
  void localConf() {
    AppConfig c = load(Map.of(), "-conf", "conf/local.json");
    assertThat(c.opsPublic()).isTrue();
    assertThat(c.http().port()).isEqualTo(8080);
    assertThat(c.http().host()).isEqualTo("127.0.0.1");
  }

  @Test
  @DisplayName("a -conf file overrides the defaults")
  void fileOverridesDefaults() throws IOException {
    Path file = confFile("{\"http\": {\"port\": 8181}, \"limits\": {\"maxResultRows\": 7}}");
    AppConfig c = load(Map.of(), "-conf", file.toString());
    assertThat(c.http().port()).isEqualTo(8181);
    assertThat(c.limits().maxResultRows()).isEqualTo(7);
    // untouched siblings keep their defaults (objects merge key by key)
    assertThat(c.http().host()).isEqualTo("127.0.0.1");
    assertThat(c.limits().tenantConcurrency()).isEqualTo(32);
  }

  @Test
  @DisplayName("flags override the file")
  void flagsOverrideFile() throws IOException {
    Path file = confFile("{\"http\": {\"port\": 8181}}");
    AppConfig c = load(Map.of(), "-conf", file.toString(), "--http-port", "9000");
    assertThat(c.http().port()).isEqualTo(9000);
  }

  @Test
  @DisplayName("env overrides flags and file; without env the flag wins")
  void precedence() {
    String[] args = {"-conf", "conf/local.json", "--http-port", "9000"};
    assertThat(ConfigLoader.load(args, Map.of("PGDO_HTTP_PORT", "9100")).http().port()).isEqualTo(9100);
    assertThat(ConfigLoader.load(args, Map.of()).http().port()).isEqualTo(9000);
  }

  @Test
  @DisplayName("env overrides a value set only in the file")
  void envOverridesFile() throws IOException {
    Path file = confFile("{\"limits\": {\"statementTimeoutMs\": 1234}}");
    AppConfig c = load(Map.of("PGDO_LIMITS_STATEMENT_TIMEOUT_MS", "5000"), "-conf", file.toString());
    assertThat(c.limits().statementTimeoutMs()).isEqualTo(5000);
  }

  @Test
  @DisplayName("generic --key.path=value and --key.path value flags work")
  void genericFlags() {
    assertThat(load(Map.of(), "--limits.maxResultRows=5").limits().maxResultRows()).isEqualTo(5);
    assertThat(load(Map.of(), "--limits.maxResultRows", "6").limits().maxResultRows()).isEqualTo(6);
    assertThat(load(Map.of(), "--ops.public=true").opsPublic()).isTrue();
  }

  @Test
  @DisplayName("--region sets node.region")
  void regionFlag() {
    assertThat(load(Map.of(), "--region", "weur").nodeRegion()).isEqualTo("weur");
  }

  @Test
  @DisplayName("env sets keys whose default is null (adminToken, database.url)")
  void envForNullDefaults() {
    AppConfig c = load(Map.of("PGDO_ADMIN_TOKEN", "s3cret", "PGDO_DATABASE_URL", "postgresql://db:5432/pgdo"));
    assertThat(c.adminToken()).isEqualTo("s3cret");
    assertThat(c.database().url()).isEqualTo("postgresql://db:5432/pgdo");
    assertThat(c.database().embedded()).isFalse();
  }

  @Test
  @DisplayName("env can change a region's pool size in the topology")
  void envPoolSize() {
    AppConfig c = load(Map.of("PGDO_REGIONS_ENAM_POOL_SIZE", "2"));
    assertThat(c.topology().poolSize("enam")).isEqualTo(2);
  }

  @Test
  @DisplayName("hostedRegions can be narrowed by env (comma list) and by file (array)")
  void hostedRegions() throws IOException {
    assertThat(load(Map.of("PGDO_HOSTED_REGIONS", "enam, weur")).hostedRegions())
        .containsExactly("enam", "weur");
    Path file = confFile("{\"hostedRegions\": [\"apac\"]}");
    assertThat(load(Map.of(), "-conf", file.toString()).hostedRegions()).containsExactly("apac");
  }

  @Test
  @DisplayName("env booleans parse case-insensitively")
  void envBoolean() {
    assertThat(load(Map.of("PGDO_OPS_PUBLIC", "TRUE")).opsPublic()).isTrue();
  }

  @ParameterizedTest(name = "PGDO_HTTP_PORT={0}")
  @CsvSource({"abc", "70000", "-1", "8080.5"})
  @DisplayName("a bad http port from env is rejected, naming http.port")
  void badEnvPort(String value) {
    assertThatThrownBy(() -> load(Map.of("PGDO_HTTP_PORT", value)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.port");
  }

  @Test
  @DisplayName("a bad boolean from env is rejected, naming the key")
  void badEnvBoolean() {
    assertThatThrownBy(() -> load(Map.of("PGDO_OPS_PUBLIC", "maybe")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("ops.public");
  }

  @Test
  @DisplayName("an unknown flag is rejected, naming it")
  void unknownFlag() {
    assertThatThrownBy(() -> load(Map.of(), "--nope", "1"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("nope");
  }

  @Test
  @DisplayName("a bare positional argument is rejected")
  void positional() {
    assertThatThrownBy(() -> load(Map.of(), "stray"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("stray");
  }

  @Test
  @DisplayName("a flag without its value is rejected")
  void missingFlagValue() {
    assertThatThrownBy(() -> load(Map.of(), "--http-port"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http-port");
  }

  @Test
  @DisplayName("--region mars is rejected, naming node.region")
  void unknownRegion() {
    assertThatThrownBy(() -> load(Map.of(), "--region", "mars"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("node.region");
  }

  @Test
  @DisplayName("hostedRegions holding a region without a pool (sam) is rejected")
  void hostedWithoutPool() throws IOException {
    assertThatThrownBy(() -> load(Map.of("PGDO_HOSTED_REGIONS", "enam,sam")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("hostedRegions")
        .hasMessageContaining("sam");
    Path file = confFile("{\"hostedRegions\": [\"sam\"]}");
    assertThatThrownBy(() -> load(Map.of(), "-conf", file.toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("hostedRegions");
  }

  @Test
  @DisplayName("an int limit beyond the int range is rejected, naming the key")
  void tooLargeLimit() {
    assertThatThrownBy(() -> load(Map.of("PGDO_LIMITS_MAX_RESULT_ROWS", "3000000000")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("limits.maxResultRows");
  }

  @Test
  @DisplayName("a zero limit is rejected, naming the key")
  void zeroLimit() {
    assertThatThrownBy(() -> load(Map.of(), "--limits.tenantConcurrency=0"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("limits.tenantConcurrency");
  }

  @Test
  @DisplayName("a wrongly typed value in the file is rejected, naming the key")
  void wrongTypeInFile() throws IOException {
    Path file = confFile("{\"http\": {\"port\": \"eighty\"}}");
    assertThatThrownBy(() -> load(Map.of(), "-conf", file.toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.port");
  }

  @Test
  @DisplayName("a missing or non-object -conf file is a ConfigException")
  void badFile() throws IOException {
    assertThatThrownBy(() -> load(Map.of(), "-conf", tmp.resolve("absent.json").toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("-conf");
    Path notObject = confFile("[1, 2]");
    assertThatThrownBy(() -> load(Map.of(), "-conf", notObject.toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("-conf");
  }

  @Test
  @DisplayName("warm connections above connections per tenant are rejected")
  void warmAboveTotal() {
    assertThatThrownBy(() -> load(Map.of(), "--compute.connectionsPerTenant=1",
        "--compute.warmConnectionsPerTenant=2"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("compute.warmConnectionsPerTenant");
  }

  @Test
  @DisplayName("a cluster needs an IP address for cluster.host and a database URL")
  void clusterInputIsChecked() {
    assertThatThrownBy(() -> load(Map.of(), "--cluster.host=db-host.internal"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("cluster.host");
    assertThatThrownBy(() -> load(Map.of(), "--cluster.enabled=true"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("database.url");
    assertThatThrownBy(() -> load(Map.of(), "--cluster.members=127.0.0.1"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("cluster.members");
  }
}
