package dev.pgdo.routing;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Rendezvous hashing of tenants onto pool indexes")
class RendezvousTest {

  /*
   * Expected weights computed independently with Python:
   *   struct.unpack('>q', hashlib.sha256(tenant.encode('utf-8') + b'\x00' + str(i).encode()).digest()[:8])[0]
   */
  @ParameterizedTest(name = "weight(\"{0}\", {1}) == {2}")
  @CsvSource(delimiter = '|', value = {
      "acme      | 0  | -3559314427517394361",
      "acme      | 1  | 8207049825113587156",
      "acme      | 4  | 580204075011687363",
      "acme      | 12 | 7284029754965240571",
      "tenant-42 | 3  | -6268464287968248315",
      "é-ü       | 7  | 7488070305457383380",
  })
  @DisplayName("weight is SHA-256(utf8(tenant) || 0x00 || utf8(index))[0..8] big-endian, same as Python")
  void weightMatchesPython(String tenant, int index, long expected) {
    assertThat(Rendezvous.weight(tenant, index)).isEqualTo(expected);
  }

  @Test
  @DisplayName("the empty tenant hashes too (no special casing)")
  void emptyTenant() {
    assertThat(Rendezvous.weight("", 0)).isEqualTo(-2651451500726416088L);
  }

  @ParameterizedTest(name = "order(\"{0}\", 5) == {1}")
  @CsvSource(delimiter = '|', value = {
      "acme      | 2,0,3,1,4",
      "tenant-42 | 3,0,2,1,4",
      "globex    | 2,4,3,1,0",
  })
  @DisplayName("order over a pool of 5 matches an independent Python ranking (unsigned, descending)")
  void orderMatchesPython(String tenant, String expected) {
    int[] want = Arrays.stream(expected.split(",")).mapToInt(Integer::parseInt).toArray();
    assertThat(Rendezvous.order(tenant, 5)).containsExactly(want);
    assertThat(Rendezvous.winner(tenant, 5)).isEqualTo(want[0]);
  }

  @Test
  @DisplayName("order is a permutation sorted by unsigned weight, descending, and winner is its head")
  void orderIsSortedPermutation() {
    for (int poolSize = 1; poolSize <= 9; poolSize++) {
      for (int t = 0; t < 50; t++) {
        String tenant = "tenant-" + t;
        int[] order = Rendezvous.order(tenant, poolSize);
        assertThat(order).containsExactlyInAnyOrder(IntStream.range(0, poolSize).toArray());
        for (int k = 1; k < order.length; k++) {
          long prev = Rendezvous.weight(tenant, order[k - 1]);
          long next = Rendezvous.weight(tenant, order[k]);
          assertThat(Long.compareUnsigned(prev, next))
              .as("weights of %s at positions %d,%d", tenant, k - 1, k)
              .isGreaterThanOrEqualTo(0);
        }
        assertThat(Rendezvous.winner(tenant, poolSize)).isEqualTo(order[0]);
      }
    }
  }

  @Test
  @DisplayName("weights are compared unsigned: a negative signed weight can beat a positive one")
  void unsignedComparison() {
    // acme: index 0 has a negative signed weight (high bit set), index 1 a positive one.
    long w0 = Rendezvous.weight("acme", 0);
    long w1 = Rendezvous.weight("acme", 1);
    assertThat(w0).isNegative();
    assertThat(w1).isPositive();
    int[] order = Rendezvous.order("acme", 2);
    assertThat(order).containsExactly(0, 1);
  }

  @Test
  @DisplayName("1,000 tenants over 5 members hit every member and none gets more than twice its share")
  void spread() {
    int[] counts = new int[5];
    for (int t = 0; t < 1000; t++) {
      counts[Rendezvous.winner("tenant-" + t, 5)]++;
    }
    for (int m = 0; m < counts.length; m++) {
      assertThat(counts[m]).as("tenants on member %d", m).isPositive().isLessThanOrEqualTo(400);
    }
    assertThat(IntStream.of(counts).sum()).isEqualTo(1000);
  }

  @Test
  @DisplayName("growing the pool from 5 to 6 moves fewer than a third of tenants, all onto index 5")
  void growthMovesFewTenants() {
    int moved = 0;
    for (int t = 0; t < 1000; t++) {
      String tenant = "tenant-" + t;
      int before = Rendezvous.winner(tenant, 5);
      int after = Rendezvous.winner(tenant, 6);
      if (before != after) {
        moved++;
        assertThat(after).as("new winner of %s", tenant).isEqualTo(5);
      }
    }
    assertThat(moved).isPositive().isLessThan(1000 / 3);
  }

  @Test
  @DisplayName("shrinking the pool keeps the relative fallback order of the remaining members")
  void shrinkKeepsOrder() {
    for (int t = 0; t < 200; t++) {
      String tenant = "tenant-" + t;
      int[] six = Rendezvous.order(tenant, 6);
      int[] fiveFromSix = Arrays.stream(six).filter(i -> i != 5).toArray();
      assertThat(Rendezvous.order(tenant, 5)).containsExactly(fiveFromSix);
    }
  }

  @Test
  @DisplayName("the result is stable across calls")
  void deterministic() {
    assertThat(Rendezvous.order("acme", 7)).containsExactly(Rendezvous.order("acme", 7));
    assertThat(Rendezvous.weight("acme", 3)).isEqualTo(Rendezvous.weight("acme", 3));
  }
}
