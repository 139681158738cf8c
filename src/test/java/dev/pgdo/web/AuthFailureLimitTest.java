package dev.pgdo.web;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Failed authentications are counted per address and per tenant id in one-minute windows")
class AuthFailureLimitTest {

  private final AtomicLong now = new AtomicLong(10 * AuthFailureLimit.WINDOW_MS + 15_000); // 15 s into a window
  private final AuthFailureLimit limit = new AuthFailureLimit(3, now::get);

  @Test
  void overTheLimitOfOneAddressAnswersTheRestOfTheWindow() {
    assertThat(limit.recordFailure("10.0.0.1", "a")).isZero();
    assertThat(limit.recordFailure("10.0.0.1", "b")).isZero();
    assertThat(limit.recordFailure("10.0.0.1", "c")).isZero();
    assertThat(limit.recordFailure("10.0.0.1", "d")).isEqualTo(45);
    now.addAndGet(44_500);
    assertThat(limit.recordFailure("10.0.0.1", "e")).as("rounded up, never 0").isEqualTo(1);
    assertThat(limit.recordFailure("10.0.0.2", "f")).as("another address").isZero();
    now.addAndGet(600); // the next window
    assertThat(limit.recordFailure("10.0.0.1", "g")).isZero();
  }

  @Test
  void overTheLimitOfOneTenantIdFromAnyAddress() {
    for (int i = 1; i <= 3; i++) {
      assertThat(limit.recordFailure("10.0.1." + i, "victim")).isZero();
    }
    assertThat(limit.recordFailure("10.0.1.99", "victim")).isPositive();
    assertThat(limit.recordFailure("10.0.1.98", "other")).isZero();
  }

  @Test
  void addressesAndTenantIdsAreCountedApart() {
    // a tenant id that equals an address string must not share its counter
    for (int i = 0; i < 3; i++) {
      assertThat(limit.recordFailure("same", "t" + i)).isZero();
    }
    assertThat(limit.recordFailure("x", "same")).isZero();
  }
}
