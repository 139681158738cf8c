package dev.pgdo.bus;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads what a SQL text asks for the way PostgreSQL 15's lexer ({@code src/backend/parser/scan.l})
 * tokenises it, with {@code standard_conforming_strings} on: whitespace is {@code [ \t\n\r\f]};
 * {@code --} comments run to a newline; block comments nest; {@code '...'} doubles quotes;
 * {@code E'...'} also takes backslash escapes; {@code U&'...'}, {@code N'...'}, {@code B'...'}
 * and {@code X'...'} are string constants, {@code "..."} and {@code U&"..."} identifiers; a
 * string continues across whitespace that holds a newline; {@code $tag$...$tag$} is a dollar
 * quote while {@code $1} is a parameter and {@code a$b} one identifier. Statements end at a
 * {@code ;} outside parentheses and outside a {@code CREATE FUNCTION/PROCEDURE ... BEGIN ... END}
 * body (psql's rule). Stateless and thread-safe: one pass over the text, bounded memory.
 *
 * <p>This is a lexical reading, used to refuse early with a clear message and to name the
 * command. It is not what guarantees transaction integrity: PostgreSQL's own ReadyForQuery
 * status is checked after every statement.
 */
public final class SqlScanner {

  /**
   * What a SQL text asks for.
   *
   * @param verb               the first statement's command keyword, upper case ({@code WITH}
   *                           resolved to its main statement, {@code VALUES}/{@code TABLE} as
   *                           {@code SELECT}); {@code UNKNOWN} when the text starts with no keyword
   * @param transactionControl some statement starts, ends or reconfigures a transaction (BEGIN,
   *                           START, COMMIT, END, ROLLBACK except {@code ROLLBACK TO}, ABORT,
   *                           PREPARE TRANSACTION, SET TRANSACTION, SET SESSION CHARACTERISTICS, or a
   *                           SET/RESET of a {@code transaction_*} or {@code default_transaction_*} setting)
   * @param copy               some statement is a COPY
   * @param hasStringLiterals  the text holds a quoted constant outside comments and quoted identifiers
   * @param statements         how many non-empty statements the text holds
   * @param unterminated       the text ends inside a comment, quoted constant or quoted identifier
   */
  public record Scan(String verb, boolean transactionControl, boolean copy, boolean hasStringLiterals,
                     int statements, boolean unterminated) {
  }

  public static final String UNKNOWN = "UNKNOWN";

  /** The words that may follow the common table expressions of a WITH as its main statement. */
  private static final Set<String> WITH_MAIN_VERBS =
      Set.of("SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "TABLE");

  /** Statements that always begin or end a transaction. */
  private static final Set<String> TRANSACTION_VERBS = Set.of("BEGIN", "START", "COMMIT", "END", "ABORT");

  /** Settings that are SET TRANSACTION / SET SESSION CHARACTERISTICS under another spelling. */
  private static final Set<String> TRANSACTION_SETTINGS = Set.of(
      "TRANSACTION_ISOLATION", "TRANSACTION_READ_ONLY", "TRANSACTION_DEFERRABLE",
      "DEFAULT_TRANSACTION_ISOLATION", "DEFAULT_TRANSACTION_READ_ONLY", "DEFAULT_TRANSACTION_DEFERRABLE");

  private final String sql;
  private final int length;
  private int pos;
  private boolean strings;
  private boolean unterminated;
  private StatementShape current = new StatementShape();
  private String firstVerb;
  private boolean transactionControl;
  private boolean copy;
  private int statements;

  private SqlScanner(String sql) {
    this.sql = sql;
    this.length = sql.length();
  }

  public static Scan scan(String sql) {
    return new SqlScanner(sql).run();
  }

  private Scan run() {
    while (pos < length) {
      token();
    }
    endStatement();
    return new Scan(firstVerb == null ? UNKNOWN : firstVerb, transactionControl, copy, strings, statements,
        unterminated);
  }

  private void token() {
    char c = sql.charAt(pos);
    if (isSpace(c)) {
      pos++;
    } else if (sql.startsWith("--", pos)) {
      skipLineComment();
    } else if (sql.startsWith("/*", pos)) {
      skipBlockComment();
    } else if (c == '\'') {
      pos++;
      quoted(Quote.STANDARD);
    } else if (c == '"') {
      pos++;
      current.quotedIdentifier(quotedIdentifier());
    } else if (c == '$') {
      dollar();
    } else if (isDigit(c) || (c == '.' && pos + 1 < length && isDigit(sql.charAt(pos + 1)))) {
      number();
    } else if (isIdentStart(c)) {
      wordOrPrefixedQuote(c);
    } else if (c == '(') {
      pos++;
      current.open();
    } else if (c == ')') {
      pos++;
      current.close();
    } else if (c == ';') {
      pos++;
      if (current.endsAtSemicolon()) {
        endStatement();
      } else {
        current.other();
      }
    } else {
      pos++;
      current.other();
    }
  }

  private void endStatement() {
    if (current.isEmpty()) {
      current = new StatementShape();
      return;
    }
    statements++;
    if (firstVerb == null) {
      firstVerb = current.verb();
    }
    transactionControl |= current.isTransactionControl();
    copy |= current.firstWordIs("COPY");
    current = new StatementShape();
  }

  // ---- comments

  private void skipLineComment() {
    while (pos < length && sql.charAt(pos) != '\n' && sql.charAt(pos) != '\r') {
      pos++;
    }
  }

  /** Block comments nest, as in scan.l's {@code xc} state. */
  private void skipBlockComment() {
    int depth = 0;
    pos += 2;
    while (pos < length) {
      if (sql.startsWith("/*", pos)) {
        depth++;
        pos += 2;
      } else if (sql.startsWith("*/", pos)) {
        pos += 2;
        if (depth == 0) {
          return;
        }
        depth--;
      } else {
        pos++;
      }
    }
    unterminated = true;
  }

  // ---- quoted constants and identifiers

  private enum Quote {
    /** {@code '...'}, {@code N'...'} and {@code U&'...'}: {@code ''} is a quote, backslash is plain. */
    STANDARD,
    /** {@code E'...'}: {@code ''} and backslash escapes. */
    EXTENDED,
    /** {@code B'...'} and {@code X'...'}: no escapes at all. */
    BITS
  }

  /** Reads a quoted constant whose opening quote is consumed, with its continuations. */
  private void quoted(Quote kind) {
    strings = true;
    current.literal();
    while (true) {
      if (!toClosingQuote(kind)) {
        unterminated = true;
        return;
      }
      int next = continuation(pos);
      if (next < 0) {
        return;
      }
      pos = next + 1;
    }
  }

  /** Moves past the closing quote; false when the text ends first. */
  private boolean toClosingQuote(Quote kind) {
    while (pos < length) {
      char c = sql.charAt(pos);
      if (c == '\\' && kind == Quote.EXTENDED) {
        pos += 2;
      } else if (c == '\'') {
        if (kind != Quote.BITS && pos + 1 < length && sql.charAt(pos + 1) == '\'') {
          pos += 2;
        } else {
          pos++;
          return true;
        }
      } else {
        pos++;
      }
    }
    pos = length;
    return false;
  }

  /**
   * scan.l's {@code quotecontinue}: after a closing quote, whitespace holding a newline (with
   * {@code --} comments) and another quote continue the same constant. Returns the position of
   * that quote, or -1.
   */
  private int continuation(int from) {
    int i = from;
    boolean newline = false;
    while (i < length) {
      char c = sql.charAt(i);
      if (c == '\n' || c == '\r') {
        newline = true;
        i++;
      } else if (c == ' ' || c == '\t' || c == '\f') {
        i++;
      } else if (sql.startsWith("--", i)) {
        while (i < length && sql.charAt(i) != '\n' && sql.charAt(i) != '\r') {
          i++;
        }
      } else {
        break;
      }
    }
    return newline && i < length && sql.charAt(i) == '\'' ? i : -1;
  }

  /** Reads a quoted identifier whose opening quote is consumed; returns its text. */
  private String quotedIdentifier() {
    StringBuilder text = new StringBuilder();
    while (pos < length) {
      char c = sql.charAt(pos);
      if (c == '"') {
        if (pos + 1 < length && sql.charAt(pos + 1) == '"') {
          text.append('"');
          pos += 2;
          continue;
        }
        pos++;
        return text.toString();
      }
      if (text.length() < 64) {
        text.append(c);
      }
      pos++;
    }
    unterminated = true;
    return text.toString();
  }

  /** {@code $1} is a parameter, {@code $tag$} opens a dollar quote, any other {@code $} is a lone character. */
  private void dollar() {
    int i = pos + 1;
    if (i < length && isDigit(sql.charAt(i))) {
      while (i < length && isDigit(sql.charAt(i))) {
        i++;
      }
      pos = i;
      current.other();
      return;
    }
    if (i < length && isIdentStart(sql.charAt(i))) {
      while (i < length && isDollarTagChar(sql.charAt(i))) {
        i++;
      }
    }
    if (i < length && sql.charAt(i) == '$') {
      String delimiter = sql.substring(pos, i + 1);
      strings = true;
      current.literal();
      int end = sql.indexOf(delimiter, i + 1);
      if (end < 0) {
        unterminated = true;
        pos = length;
      } else {
        pos = end + delimiter.length();
      }
      return;
    }
    // scan.l's dolqfailed: only the '$' is taken; what follows is scanned again.
    pos++;
    current.other();
  }

  // ---- words and numbers

  private void wordOrPrefixedQuote(char c) {
    char next = pos + 1 < length ? sql.charAt(pos + 1) : 0;
    if (next == '\'') {
      Quote kind = switch (c) {
        case 'e', 'E' -> Quote.EXTENDED;
        case 'b', 'B', 'x', 'X' -> Quote.BITS;
        case 'n', 'N' -> Quote.STANDARD;
        default -> null;
      };
      if (kind != null) {
        pos += 2;
        quoted(kind);
        return;
      }
    }
    if ((c == 'u' || c == 'U') && next == '&' && pos + 2 < length) {
      char quote = sql.charAt(pos + 2);
      if (quote == '\'') {
        pos += 3;
        quoted(Quote.STANDARD);
        return;
      }
      if (quote == '"') {
        pos += 3;
        current.quotedIdentifier(quotedIdentifier());
        return;
      }
    }
    int start = pos;
    while (pos < length && isIdentChar(sql.charAt(pos))) {
      pos++;
    }
    current.word(asciiUpper(sql, start, Math.min(pos, start + 64)));
  }

  /** Integer, decimal or real; PostgreSQL rejects an identifier character right after one. */
  private void number() {
    while (pos < length && isDigit(sql.charAt(pos))) {
      pos++;
    }
    if (pos < length && sql.charAt(pos) == '.' && !(pos + 1 < length && sql.charAt(pos + 1) == '.')) {
      pos++;
      while (pos < length && isDigit(sql.charAt(pos))) {
        pos++;
      }
    }
    if (pos < length && (sql.charAt(pos) == 'e' || sql.charAt(pos) == 'E')) {
      int i = pos + 1;
      if (i < length && (sql.charAt(i) == '+' || sql.charAt(i) == '-')) {
        i++;
      }
      if (i < length && isDigit(sql.charAt(i))) {
        pos = i;
        while (pos < length && isDigit(sql.charAt(pos))) {
          pos++;
        }
      }
    }
    if (pos < length && isIdentStart(sql.charAt(pos))) {
      pos++; // scan.l's integer_junk: a syntax error in PostgreSQL
    }
    current.other();
  }

  // ---- character classes (scan.l's, where bytes >= 0x80 are letters)

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isIdentStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
  }

  private static boolean isDollarTagChar(char c) {
    return isIdentStart(c) || isDigit(c);
  }

  private static boolean isIdentChar(char c) {
    return isDollarTagChar(c) || c == '$';
  }

  /** PostgreSQL folds only ASCII letters in keywords. */
  private static String asciiUpper(String s, int from, int to) {
    char[] out = new char[to - from];
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      out[i - from] = c >= 'a' && c <= 'z' ? (char) (c - 32) : c;
    }
    return new String(out);
  }

  /**
   * The tokens of one statement that decide what it is: its first few words and, for WITH,
   * the main statement's verb. Holds at most {@link #HEAD} words whatever the statement's size.
   */
  private static final class StatementShape {
    private static final int HEAD = 6;
    /** A head entry that is not a word: a literal, number, operator or parenthesis. */
    private static final String NOT_A_WORD = "";

    private final List<String> head = new ArrayList<>(HEAD);
    private final List<Boolean> headQuoted = new ArrayList<>(HEAD);
    private boolean started;
    private int leadingParens;
    private int depth;
    private String withVerb;
    private boolean routineDefinition;
    private int beginDepth;

    boolean isEmpty() {
      return !started && leadingParens == 0;
    }

    void open() {
      if (!started) {
        leadingParens++;
      } else {
        add(NOT_A_WORD, false);
      }
      depth++;
    }

    void close() {
      started = true;
      add(NOT_A_WORD, false);
      depth = Math.max(0, depth - 1);
    }

    void other() {
      started = true;
      add(NOT_A_WORD, false);
    }

    void literal() {
      other();
    }

    void quotedIdentifier(String text) {
      started = true;
      add(text, true);
    }

    void word(String upper) {
      started = true;
      add(upper, false);
      if (firstWordIs("WITH") && head.size() > 1 && withVerb == null && depth <= leadingParens
          && WITH_MAIN_VERBS.contains(upper)) {
        withVerb = upper;
      }
      trackRoutineBody(upper);
    }

    /**
     * psql's rule for {@code CREATE [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ATOMIC ... END}:
     * semicolons inside the body do not end the statement.
     */
    private void trackRoutineBody(String upper) {
      if (head.size() <= 4 && head.size() >= 2 && !routineDefinition) {
        routineDefinition = wordAt(0, "CREATE") && (wordAt(1, "FUNCTION") || wordAt(1, "PROCEDURE")
            || (wordAt(1, "OR") && wordAt(2, "REPLACE") && (wordAt(3, "FUNCTION") || wordAt(3, "PROCEDURE"))));
      }
      if (!routineDefinition || depth > 0) {
        return;
      }
      if (upper.equals("BEGIN")) {
        beginDepth++;
      } else if (upper.equals("CASE") && beginDepth >= 1) {
        beginDepth++;
      } else if (upper.equals("END") && beginDepth > 0) {
        beginDepth--;
      }
    }

    boolean endsAtSemicolon() {
      return depth == 0 && beginDepth == 0;
    }

    private void add(String word, boolean quoted) {
      if (head.size() < HEAD) {
        head.add(word);
        headQuoted.add(quoted);
      }
    }

    /** True when head entry {@code i} is the unquoted keyword {@code keyword}. */
    private boolean wordAt(int i, String keyword) {
      return i < head.size() && !headQuoted.get(i) && head.get(i).equals(keyword);
    }

    boolean firstWordIs(String keyword) {
      return wordAt(0, keyword);
    }

    String verb() {
      if (head.isEmpty() || headQuoted.get(0) || head.get(0).equals(NOT_A_WORD)) {
        return UNKNOWN;
      }
      String first = head.get(0);
      if (first.equals("WITH")) {
        first = withVerb == null ? "SELECT" : withVerb;
      }
      return first.equals("VALUES") || first.equals("TABLE") ? "SELECT" : first;
    }

    boolean isTransactionControl() {
      if (head.isEmpty() || headQuoted.get(0)) {
        return false;
      }
      String first = head.get(0);
      if (TRANSACTION_VERBS.contains(first)) {
        return true;
      }
      return switch (first) {
        case "ROLLBACK" -> !isRollbackToSavepoint();
        case "PREPARE" -> wordAt(1, "TRANSACTION");
        case "SET" -> isSetTransaction();
        case "RESET" -> isTransactionSetting(1);
        default -> false;
      };
    }

    /** {@code ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] name} undoes part of a transaction only. */
    private boolean isRollbackToSavepoint() {
      int i = wordAt(1, "WORK") || wordAt(1, "TRANSACTION") ? 2 : 1;
      return wordAt(i, "TO");
    }

    /** gram.y's {@code SET [LOCAL | SESSION] set_rest}, where set_rest names the transaction. */
    private boolean isSetTransaction() {
      int i = 1;
      if ((wordAt(i, "SESSION") && !wordAt(i + 1, "CHARACTERISTICS")) || wordAt(i, "LOCAL")) {
        i++;
      }
      return wordAt(i, "TRANSACTION") || (wordAt(i, "SESSION") && wordAt(i + 1, "CHARACTERISTICS"))
          || isTransactionSetting(i);
    }

    /** A setting name compares case-insensitively (ASCII only), quoted or not. */
    private boolean isTransactionSetting(int i) {
      return i < head.size() && TRANSACTION_SETTINGS.contains(asciiUpper(head.get(i), 0, head.get(i).length()));
    }
  }
}
