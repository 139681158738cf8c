package dev.pgdo.routing;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Rendezvous (highest-random-weight) hashing of tenants onto pool indexes.
 *
 * <p>{@code weight(tenant, index)} is the first 8 bytes, big-endian, of
 * {@code SHA-256(utf8(tenant) || 0x00 || utf8(decimal index))}, compared as an unsigned 64-bit
 * number. The index with the highest weight serves the tenant; the next ones, in order, are its
 * fallbacks. Growing a pool from N to N+1 moves only the tenants whose winner is the new index
 * (about 1/(N+1)). SHA-256 is chosen for being stable and reproducible in any language, not for
 * secrecy. Thread-safe.
 */
public final class Rendezvous {

  private Rendezvous() {
  }

  public static long weight(String tenant, int index) {
    return weight(tenant, Integer.toString(index));
  }

  /** The same weight for any pair of strings; placement uses it to pick a member's node. */
  public static long weight(String key, String candidate) {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
    sha256.update(key.getBytes(StandardCharsets.UTF_8));
    sha256.update((byte) 0);
    sha256.update(candidate.getBytes(StandardCharsets.UTF_8));
    return ByteBuffer.wrap(sha256.digest(), 0, Long.BYTES).getLong();
  }

  /** Pool indexes {@code 0..poolSize-1} ordered from the tenant's winner to its last fallback. */
  public static int[] order(String tenant, int poolSize) {
    long[] weights = new long[poolSize];
    for (int i = 0; i < poolSize; i++) {
      weights[i] = weight(tenant, i);
    }
    Comparator<Integer> byWeight = (a, b) -> Long.compareUnsigned(weights[b], weights[a]);
    return IntStream.range(0, poolSize).boxed().sorted(byWeight.thenComparing(Comparator.naturalOrder()))
        .mapToInt(Integer::intValue).toArray();
  }

  /** The tenant's winning index. */
  public static int winner(String tenant, int poolSize) {
    return order(tenant, poolSize)[0];
  }
}
