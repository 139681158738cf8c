package dev.pgdo.bus;

/** The wire form of durations in answers ({@code timings.*Ms}, Server-Timing): milliseconds to the microsecond. */
public final class Timings {

  private Timings() {
  }

  public static double millis(long nanos) {
    return Math.round(nanos / 1_000.0) / 1_000.0;
  }
}
