package dev.pgdo.bus;

/**
 * The public error codes of API.md. On the event bus a failure carries the HTTP status as its
 * {@code failureCode()} and the error JSON as its message, so the status is the wire id.
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
  QUERY_TIMEOUT(504, "query_timeout");

  private final int status;
  private final String id;

  ErrorCode(int status, String id) {
    this.status = status;
    this.id = id;
  }

  public int status() {
    return status;
  }

  public String id() {
    return id;
  }
}
