package dev.pgdo.bus;

/** Event-bus message headers. A message without {@code op} is a query, as API.md's bus clients send. */
public final class BusHeaders {

  public static final String OP = "op";
  /** Asks a compute member for its {@code /v1/status} entry. */
  public static final String OP_STATUS = "member.status";
  /** Asks a compute member to cancel the statement running under {@link #CANCEL_ID}; no reply. */
  public static final String OP_CANCEL = "query.cancel";
  /** Body: a tenant id. The member opens the tenant's connection now if a permit is free (a new tenant's first query is then warm). */
  public static final String OP_WARM = "tenant.warm";
  /** Set by the sender of a query that it may want to cancel (e.g. when the HTTP client goes away). */
  public static final String CANCEL_ID = "cancel-id";
  /** Where a member acknowledges receipt of a query at once (body: {@link #ACK_ID}); see client/Delivery. */
  public static final String ACK_TO = "ack-to";
  public static final String ACK_ID = "ack-id";
  /**
   * Set by senders that fail over ({@code client/PgdoClient}): a member being handed over then
   * answers {@link ErrorCode#MEMBER_MOVED}'s failure code instead of API.md's plain 503, so the
   * sender knows the query did not run. Any value.
   */
  public static final String ACCEPTS_MOVED = "accepts-moved";

  private BusHeaders() {
  }
}
