import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Hit rates of ideal and simple caches over a request trace (a sequence of tenant indexes), for
 * scripts/bench.sh's Zipf target: a warm connection is a cache entry, the cache holds
 * {@code capacity} tenants. {@link #belady} is Belady's MIN (perfect hindsight: on a miss with a
 * full cache, drop the tenant used again farthest in the future, possibly the new one), the best
 * any policy can do on that trace; {@link #lru} is for comparison.
 */
final class BenchBelady {

  private BenchBelady() {
  }

  /** Hits among requests {@code from..trace.length-1} (the cache is simulated from request 0). */
  static long belady(int[] trace, int capacity, int from) {
    int n = trace.length;
    int[] nextUse = new int[n];
    int maxTenant = Arrays.stream(trace).max().orElse(0);
    int[] seen = new int[maxTenant + 1];
    Arrays.fill(seen, -1);
    for (int i = n - 1; i >= 0; i--) {
      // never used again: a key beyond every position, unique per tenant
      nextUse[i] = seen[trace[i]] >= 0 ? seen[trace[i]] : n + trace[i];
      seen[trace[i]] = i;
    }
    TreeMap<Integer, Integer> byNextUse = new TreeMap<>(); // next use -> tenant, for the cached tenants
    int[] cachedKey = new int[maxTenant + 1];
    Arrays.fill(cachedKey, -1);
    long hits = 0;
    for (int i = 0; i < n; i++) {
      int tenant = trace[i];
      if (cachedKey[tenant] >= 0) {
        if (i >= from) {
          hits++;
        }
        byNextUse.remove(cachedKey[tenant]);
      } else if (byNextUse.size() >= capacity) {
        Map.Entry<Integer, Integer> farthest = byNextUse.lastEntry();
        if (farthest.getKey() < nextUse[i]) {
          continue; // the new tenant is the one needed last: serve it and do not keep it
        }
        byNextUse.pollLastEntry();
        cachedKey[farthest.getValue()] = -1;
      }
      byNextUse.put(nextUse[i], tenant);
      cachedKey[tenant] = nextUse[i];
    }
    return hits;
  }

  /** Hits of a least-recently-used cache of the same capacity, counted the same way. */
  static long lru(int[] trace, int capacity, int from) {
    LinkedHashMap<Integer, Boolean> cache = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Integer, Boolean> eldest) {
        return size() > capacity;
      }
    };
    long hits = 0;
    for (int i = 0; i < trace.length; i++) {
      if (cache.get(trace[i]) != null) {
        if (i >= from) {
          hits++;
        }
      } else {
        cache.put(trace[i], Boolean.TRUE);
      }
    }
    return hits;
  }

  /** Self-check on a textbook trace: {@code java BenchBelady} prints and exits 1 on a mismatch. */
  public static void main(String[] args) {
    int[] trace = {1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5};
    long min = belady(trace, 3, 0);  // MIN with 3 frames: 7 faults, so 5 hits
    long lru = lru(trace, 3, 0);     // LRU with 3 frames: 10 faults, so 2 hits
    System.out.println("belady hits " + min + ", lru hits " + lru);
    if (min != 5 || lru != 2) {
      System.exit(1);
    }
  }
}
