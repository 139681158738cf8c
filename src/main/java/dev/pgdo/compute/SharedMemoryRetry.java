package dev.pgdo.compute;

import dev.pgdo.bus.QueryRequest;
import io.vertx.pgclient.PgException;

import java.util.Set;

/**
 * Whether a request that failed because PostgreSQL was out of shared memory (53200, e.g. its lock
 * table full) may be run once more. Another tenant's lock flood can fill the table for a few
 * milliseconds before the flood fails or the lock guard ends it (README "Resource isolation"); a
 * statement of a bystander that needed a lock entry just then fails through no fault of its
 * own. Such a failure rolled the request back whole (a single statement, or the service's own
 * transaction), so one more run after {@link #DELAY_MS} is safe, except for the statements that
 * can commit part of their work before failing ({@code CALL}, {@code DO}). Stateless.
 */
final class SharedMemoryRetry {

  /** Long enough for a flood's locks to go (its abort, or the session reset), short for a client. */
  static final long DELAY_MS = 100;

  private static final String OUT_OF_MEMORY = "53200";
  /** Procedures and DO blocks may COMMIT inside: a part of their work may have stayed. */
  private static final Set<String> MAY_COMMIT_PART = Set.of("CALL", "DO");

  private SharedMemoryRetry() {
  }

  static boolean mayRetry(Throwable failure, QueryRequest request) {
    if (!(failure instanceof PgException pg) || !OUT_OF_MEMORY.equals(pg.getSqlState())) {
      return false;
    }
    for (QueryRequest.Statement statement : request.statements()) {
      if (MAY_COMMIT_PART.contains(statement.verb())) {
        return false;
      }
    }
    return true;
  }
}
