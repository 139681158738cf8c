package dev.pgdo.db;

import dev.pgdo.config.AppConfig;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The per-operation memory settings a tenant can raise ({@code work_mem}, {@code hash_mem_multiplier},
 * {@code maintenance_work_mem}): PostgreSQL lets every role {@code SET} them (they are
 * {@code PGC_USERSET}; {@code REVOKE SET ON PARAMETER} does not apply to such settings), and a
 * tenant may also {@code ALTER ROLE} itself or {@code ALTER DATABASE} its own database to change
 * their defaults. The strongest defence PostgreSQL allows without an extension:
 * <ul>
 *   <li>every tenant connection sends the service's values in its startup packet, which outrank
 *       the role's and the database's defaults (so a tenant's {@code ALTER ROLE/DATABASE ... SET}
 *       has no effect on the service's connections), and which become the values {@code RESET}
 *       returns to;</li>
 *   <li>the per-request session reset ({@link #RESET}) returns them to those values, so a raised
 *       value lasts at most for the request that raised it, which {@code statement_timeout}
 *       bounds.</li>
 * </ul>
 * Within one request a tenant can still raise them (README "Resource isolation"). Immutable.
 */
public final class MemorySettings {

  /** The settings pinned at connection start and reset after every request. */
  public static final List<String> NAMES = List.of("work_mem", "hash_mem_multiplier", "maintenance_work_mem");

  /** Appended to the session reset: a {@code RESET} cannot fail for these settings. */
  public static final String RESET = NAMES.stream().map(name -> "RESET " + name).collect(Collectors.joining("; "));

  private final Map<String, String> values;

  private MemorySettings(Map<String, String> values) {
    this.values = Map.copyOf(values);
  }

  /** No pinned values: the server's and the role's defaults apply (tests of other parts). */
  public static MemorySettings none() {
    return new MemorySettings(Map.of());
  }

  public static MemorySettings of(AppConfig.ResourceLimits limits) {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("work_mem", limits.workMemMb() + "MB");
    values.put("hash_mem_multiplier", Long.toString(limits.hashMemMultiplier()));
    values.put("maintenance_work_mem", limits.maintenanceWorkMemMb() + "MB");
    return new MemorySettings(values);
  }

  /** Startup-packet parameters of a tenant connection. */
  public Map<String, String> startupParameters() {
    return values;
  }
}
