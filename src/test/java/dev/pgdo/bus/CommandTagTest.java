package dev.pgdo.bus;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("StatementRunner.command: the command tag's verb")
class CommandTagTest {

  @Test
  @DisplayName("select 1 -> SELECT")
  void select() {
    assertThat(CommandTags.of("select 1")).isEqualTo("SELECT");
  }

  @Test
  @DisplayName("leading comments, whitespace and parentheses are skipped")
  void commentsAndParens() {
    assertThat(CommandTags.of("  -- c\n/* x */ (insert into t values (1))")).isEqualTo("INSERT");
    assertThat(CommandTags.of("/* a */ /* b */\n\t-- c\n  ((select 1))")).isEqualTo("SELECT");
  }

  @Test
  @DisplayName("WITH, VALUES and TABLE report SELECT")
  void selectLike() {
    assertThat(CommandTags.of("with x as (select 1) select * from x")).isEqualTo("SELECT");
    assertThat(CommandTags.of("VALUES (1), (2)")).isEqualTo("SELECT");
    assertThat(CommandTags.of("table t")).isEqualTo("SELECT");
  }

  @Test
  @DisplayName("the verb is upper-cased and stops at the first non-letter")
  void otherVerbs() {
    assertThat(CommandTags.of("Update t set a = 1")).isEqualTo("UPDATE");
    assertThat(CommandTags.of("delete from t")).isEqualTo("DELETE");
    assertThat(CommandTags.of("create table t(a int)")).isEqualTo("CREATE");
    assertThat(CommandTags.of("begin;")).isEqualTo("BEGIN");
  }

  @Test
  @DisplayName("empty, blank, comment-only and unterminated comment input -> UNKNOWN")
  void unknown() {
    assertThat(CommandTags.of("")).isEqualTo("UNKNOWN");
    assertThat(CommandTags.of("   \n ")).isEqualTo("UNKNOWN");
    assertThat(CommandTags.of("-- only a comment")).isEqualTo("UNKNOWN");
    assertThat(CommandTags.of("/* never closed")).isEqualTo("UNKNOWN");
    assertThat(CommandTags.of("123")).isEqualTo("UNKNOWN");
  }
}
