package dev.pgdo.tenant;

import dev.pgdo.bus.CommandTags;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which statements a tenant over its disk quota may still run: those that read or free space.
 * Stateless.
 */
public final class QuotaStatements {

  /** Verbs that read, free space, or change only the session. */
  private static final Set<String> ALLOWED = Set.of(
      "SELECT", "DELETE", "TRUNCATE", "DROP", "VACUUM", "SHOW", "SET", "RESET", "FETCH", "MOVE", "CLOSE",
      "SAVEPOINT", "RELEASE", "ROLLBACK");

  /**
   * A SELECT can still write: {@code SELECT ... INTO} creates a table, and a data-modifying
   * {@code WITH} reports the main statement's verb. Such words anywhere in the text (even in a
   * literal) make the statement wait until the tenant is back under quota.
   */
  private static final Pattern WRITES = Pattern.compile("\\b(insert|update|merge|into|copy)\\b",
      Pattern.CASE_INSENSITIVE);

  private QuotaStatements() {
  }

  public static boolean mayRunOverQuota(String sql) {
    String verb = CommandTags.of(sql);
    if (!ALLOWED.contains(verb)) {
      return false;
    }
    return !(verb.equals("SELECT") || verb.equals("DELETE")) || !WRITES.matcher(sql).find();
  }
}
