package dev.pgdo.compute;

/**
 * PostgreSQL's CommandComplete tag, read: {@code "INSERT 0 3"} → verb {@code INSERT}, count 3;
 * {@code "SELECT 3"} (also what CREATE TABLE AS and SELECT INTO answer) → {@code SELECT}, 3;
 * {@code "CREATE TABLE"} → {@code CREATE TABLE}, no count. Immutable.
 *
 * @param words the tag without its numbers ({@code "CREATE TABLE"})
 * @param count the tag's row count, or null when the tag has none
 */
record CommandTag(String words, Long count) {

  static CommandTag parse(String tag) {
    String trimmed = tag.trim();
    int end = trimmed.length();
    Long count = null;
    // numbers trail the words: "INSERT <oid> <rows>", "UPDATE <rows>", ...
    while (end > 0) {
      int space = trimmed.lastIndexOf(' ', end - 1);
      String token = trimmed.substring(space + 1, end);
      if (token.isEmpty() || !token.chars().allMatch(Character::isDigit)) {
        break;
      }
      if (count == null) {
        count = Long.parseLong(token);
      }
      end = Math.max(space, 0);
    }
    return new CommandTag(trimmed.substring(0, end), count);
  }

  /** The first word, as API.md's {@code command} ({@code CREATE} for CREATE TABLE). */
  String verb() {
    int space = words.indexOf(' ');
    return space < 0 ? words : words.substring(0, space);
  }
}
