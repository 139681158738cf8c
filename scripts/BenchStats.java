import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

/** Latency figures the benchmark's Java tools report, in one shape: microsecond histograms in, milliseconds out. */
final class BenchStats {

  private BenchStats() {
  }

  /** A histogram of microseconds from 1 µs to 60 s at 3 significant digits. */
  static Histogram histogram() {
    return new Histogram(1, 60_000_000L, 3);
  }

  /** A percentile in milliseconds; null (JSON null) when nothing was recorded. */
  static Double ms(Histogram micros, double percentile) {
    return micros.getTotalCount() == 0 ? null : Math.round(micros.getValueAtPercentile(percentile)) / 1000.0;
  }

  /** {@code requests}, {@code p50Ms}, {@code p99Ms} (and p90, max) of a histogram, under the given field prefix. */
  static JsonObject latency(JsonObject into, String prefix, Histogram micros) {
    return into.put(prefix + "Count", micros.getTotalCount())
        .put(prefix + "P50Ms", ms(micros, 50)).put(prefix + "P90Ms", ms(micros, 90))
        .put(prefix + "P99Ms", ms(micros, 99)).put(prefix + "MaxMs", micros.getTotalCount() == 0 ? null
            : Double.valueOf(micros.getMaxValue() / 1000.0));
  }

  /** The row shape every throughput target writes: target, label, reqPerSec, p50Ms, p99Ms. */
  static JsonObject throughputRow(String target, String label, long requests, double seconds, Histogram micros) {
    return new JsonObject().put("target", target).put("label", label).put("requests", requests)
        .put("seconds", seconds).put("reqPerSec", Math.round(requests / seconds))
        .put("p50Ms", ms(micros, 50)).put("p90Ms", ms(micros, 90)).put("p99Ms", ms(micros, 99));
  }
}
