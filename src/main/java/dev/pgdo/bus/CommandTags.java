package dev.pgdo.bus;

/** The verb of a statement's PostgreSQL command tag, read from its SQL text. Stateless. */
public final class CommandTags {

  private CommandTags() {
  }

  /**
   * The command tag's verb as {@link SqlScanner} reads it: the first keyword, or for
   * {@code WITH} the main statement's ({@code VALUES} and {@code TABLE} report SELECT, as
   * PostgreSQL does); {@code UNKNOWN} when the text starts with no keyword.
   */
  public static String of(String sql) {
    return SqlScanner.scan(sql).verb();
  }
}
