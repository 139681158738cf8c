package dev.pgdo.tenant;

import dev.pgdo.bus.CommandTags;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which statements a tenant over its disk quota may still run: those that read or free space.
 * Stateless.
 */
public final class QuotaStatements {

  /** What a request of a tenant over its disk quota may do. */
  public enum Decision {
    /** It frees space (and reads): it runs as sent. */
    AS_SENT,
    /** It only reads: it runs in a read-only transaction, where no function it calls can write. */
    READ_ONLY,
    /** It may grow the database. */
    REFUSED
  }

  /** Verbs that free space; they cannot run read-only (VACUUM not even in a transaction). */
  private static final Set<String> FREEING = Set.of("DELETE", "TRUNCATE", "DROP", "VACUUM");

  /** Verbs that read or change only the session; all of them work in a read-only transaction. */
  private static final Set<String> READING = Set.of(
      "SELECT", "SHOW", "SET", "RESET", "FETCH", "MOVE", "CLOSE", "SAVEPOINT", "RELEASE", "ROLLBACK", "EXPLAIN");

  /**
   * A SELECT can still write: {@code SELECT ... INTO} creates a table, and a data-modifying
   * {@code WITH} reports the main statement's verb. Such words anywhere in the text (even in a
   * literal) make the statement wait until the tenant is back under quota. (A write hidden in a
   * function a DELETE calls is the one thing this lexical reading misses: README.)
   */
  private static final Pattern WRITES = Pattern.compile("\\b(insert|update|merge|into|copy)\\b",
      Pattern.CASE_INSENSITIVE);

  private QuotaStatements() {
  }

  /** The decision for one request's statements, all or nothing. */
  public static Decision overQuota(List<String> statements) {
    boolean frees = false;
    for (String sql : statements) {
      String verb = CommandTags.of(sql);
      boolean freeing = FREEING.contains(verb);
      if (!freeing && !READING.contains(verb)) {
        return Decision.REFUSED;
      }
      if ((verb.equals("SELECT") || verb.equals("DELETE") || verb.equals("EXPLAIN")) && WRITES.matcher(sql).find()) {
        return Decision.REFUSED;
      }
      frees |= freeing;
    }
    return frees ? Decision.AS_SENT : Decision.READ_ONLY;
  }

  /** True when a single statement may run over quota (as sent or read-only). */
  public static boolean mayRunOverQuota(String sql) {
    return overQuota(List.of(sql)) != Decision.REFUSED;
  }
}
