package dev.pgdo.bus;

/**
 * The error codes of API.md, each declaring its HTTP status, its public id and its event-bus
 * failure code in one place. On the event bus a failure carries {@link #failureCode()} as its
 * {@code ReplyException.failureCode()} and the error JSON as its message; for every public code
 * the failure code is the HTTP status, as API.md's "Event-bus clients" section says.
 *
 * <p>{@link #MEMBER_MOVED} is the one internal code: a member being handed over answers it to
 * senders that say they fail over ({@link BusHeaders#ACCEPTS_MOVED}), and {@code client/RetryRule}
 * reads it as "did not run here, try the next member". It never reaches an HTTP client or a
 * {@code PgdoClient} caller, so its failure code stays outside the range of HTTP statuses.
 */
public enum ErrorCode {
  INVALID_REQUEST(400, "invalid_request"),
  INVALID_TENANT(400, "invalid_tenant"),
  SQL_ERROR(400, "sql_error"),
  UNAUTHORIZED(401, "unauthorized"),
  TENANT_NOT_FOUND(404, "tenant_not_found"),
  NOT_FOUND(404, "not_found"),
  METHOD_NOT_ALLOWED(405, "method_not_allowed"),
  TENANT_EXISTS(409, "tenant_exists"),
  PAYLOAD_TOO_LARGE(413, "payload_too_large"),
  RESULT_TOO_LARGE(413, "result_too_large"),
  UNSUPPORTED_MEDIA_TYPE(415, "unsupported_media_type"),
  TOO_MANY_REQUESTS(429, "too_many_requests"),
  /** The tenant hit a shared-resource guard (lock table share, disk quota); the body names the resource. */
  RESOURCE_LIMIT(429, "resource_limit"),
  INTERNAL_ERROR(500, "internal_error"),
  NO_COMPUTE(503, "no_compute"),
  NOT_READY(503, "not_ready"),
  QUERY_TIMEOUT(504, "query_timeout"),
  /** Internal: the member is moving to another node and did not run the query. */
  MEMBER_MOVED(503, "no_compute", 1_503);

  private final int status;
  private final String id;
  private final int failureCode;

  ErrorCode(int status, String id) {
    this(status, id, status);
  }

  ErrorCode(int status, String id, int failureCode) {
    this.status = status;
    this.id = id;
    this.failureCode = failureCode;
  }

  public int status() {
    return status;
  }

  public String id() {
    return id;
  }

  /** The {@code failureCode()} of a bus reply that fails with this code. */
  public int failureCode() {
    return failureCode;
  }
}
