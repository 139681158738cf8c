package dev.pgdo.bus;

import java.util.List;
import java.util.Locale;

/** The verb of a statement's PostgreSQL command tag, read from its SQL text. Stateless. */
public final class CommandTags {

  private CommandTags() {
  }

  /**
   * The command tag's verb. The Vert.x client does not expose PostgreSQL's command tag, so it is
   * read from the statement: its first keyword, or for {@code WITH} the first statement keyword
   * outside the parentheses of the common table expressions ({@code VALUES} and {@code TABLE}
   * report SELECT, as PostgreSQL does).
   */
  public static String of(String sql) {
    List<String> words = topLevelWords(sql);
    if (words.isEmpty()) {
      return "UNKNOWN";
    }
    String first = words.get(0);
    if (first.equals("WITH")) {
      return words.stream().skip(1)
          .filter(w -> w.equals("SELECT") || w.equals("INSERT") || w.equals("UPDATE") || w.equals("DELETE")
              || w.equals("MERGE"))
          .findFirst().orElse("SELECT");
    }
    return first.equals("VALUES") || first.equals("TABLE") ? "SELECT" : first;
  }

  /** Upper-cased words outside parentheses, quotes and comments, in order; the first 64 at most. */
  private static List<String> topLevelWords(String sql) {
    List<String> words = new java.util.ArrayList<>();
    int depth = 0;
    int i = 0;
    int n = sql.length();
    boolean leadingParens = true; // "(select 1)" still reports SELECT
    while (i < n && words.size() < 64) {
      char c = sql.charAt(i);
      if (sql.startsWith("--", i)) {
        int eol = sql.indexOf('\n', i);
        i = eol < 0 ? n : eol + 1;
      } else if (sql.startsWith("/*", i)) {
        int end = sql.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
      } else if (c == '\'' || c == '"') {
        int end = sql.indexOf(c, i + 1);
        i = end < 0 ? n : end + 1;
      } else if (c == '(') {
        if (!leadingParens) {
          depth++;
        }
        i++;
      } else if (c == ')') {
        depth = Math.max(0, depth - 1);
        i++;
      } else if (Character.isLetter(c)) {
        int start = i;
        while (i < n && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '_')) {
          i++;
        }
        if (depth == 0) {
          words.add(sql.substring(start, i).toUpperCase(Locale.ROOT));
        }
        leadingParens = false;
      } else {
        if (!Character.isWhitespace(c)) {
          leadingParens = false;
        }
        i++;
      }
    }
    return words;
  }
}
