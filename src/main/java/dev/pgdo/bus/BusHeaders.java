package dev.pgdo.bus;

/** Event-bus message headers. A message without {@code op} is a query, as API.md's bus clients send. */
public final class BusHeaders {

  public static final String OP = "op";
  /** Asks a compute member for its {@code /v1/status} entry. */
  public static final String OP_STATUS = "member.status";

  private BusHeaders() {
  }
}
