package dev.pgdo.compute;

import dev.pgdo.tenant.PgTargets;

/**
 * Which statement texts the client may keep prepared per connection. A prepared statement keeps
 * the parse it got: a literal such as {@code date '01/02/03'} or {@code 'now'} is read once, under
 * the DateStyle/TimeZone/standard_conforming_strings of that moment, so a text with a quoted
 * constant would answer differently from a fresh parse after a {@code SET}. Only texts without
 * string constants are cached (their meaning no SET can change; search_path changes make
 * PostgreSQL re-plan on its own); the others run as unnamed statements, parsed afresh each time.
 */
final class StatementCachePolicy {

  private StatementCachePolicy() {
  }

  static boolean cacheable(String sql) {
    return sql.length() < PgTargets.STATEMENT_CACHE_SQL_LIMIT && !mayHoldStringConstant(sql);
  }

  /**
   * Conservative: any single quote ({@code '...'}, {@code E'...'}, {@code U&'...'}, {@code B'...'},
   * {@code X'...'}) or a dollar sign not starting a parameter number ({@code $$}, {@code $tag$}),
   * even inside a comment or identifier, counts as a constant. To be replaced by
   * {@code SqlScanner.scan(sql).hasStringLiterals()} once the scanner is in.
   */
  static boolean mayHoldStringConstant(String sql) {
    for (int i = 0, n = sql.length(); i < n; i++) {
      char c = sql.charAt(i);
      if (c == '\'') {
        return true;
      }
      if (c == '$' && (i + 1 == n || !Character.isDigit(sql.charAt(i + 1)))) {
        return true;
      }
    }
    return false;
  }
}
