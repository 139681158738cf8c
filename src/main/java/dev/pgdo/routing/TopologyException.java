package dev.pgdo.routing;

/**
 * A topology ({@code regions}, {@code colos}, {@code defaultRegion}) that cannot be used. The
 * configuration loader reports it as a {@code ConfigException} naming the same key; routing does
 * not depend on the configuration package.
 */
public final class TopologyException extends IllegalArgumentException {

  private final String key;
  private final String problem;

  public TopologyException(String key, String problem) {
    super("config key '" + key + "': " + problem);
    this.key = key;
    this.problem = problem;
  }

  /** The configuration key at fault, e.g. {@code regions.sam.servedBy}. */
  public String key() {
    return key;
  }

  public String problem() {
    return problem;
  }
}
