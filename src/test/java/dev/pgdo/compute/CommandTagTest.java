package dev.pgdo.compute;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("StatementRunner.command: the command tag's verb")
class CommandTagTest {

  @Test
  @DisplayName("select 1 -> SELECT")
  void select() {
    assertThat(StatementRunner.command("select 1")).isEqualTo("SELECT");
  }

  @Test
  @DisplayName("leading comments, whitespace and parentheses are skipped")
  void commentsAndParens() {
    assertThat(StatementRunner.command("  -- c\n/* x */ (insert into t values (1))")).isEqualTo("INSERT");
    assertThat(StatementRunner.command("/* a */ /* b */\n\t-- c\n  ((select 1))")).isEqualTo("SELECT");
  }

  @Test
  @DisplayName("WITH, VALUES and TABLE report SELECT")
  void selectLike() {
    assertThat(StatementRunner.command("with x as (select 1) select * from x")).isEqualTo("SELECT");
    assertThat(StatementRunner.command("VALUES (1), (2)")).isEqualTo("SELECT");
    assertThat(StatementRunner.command("table t")).isEqualTo("SELECT");
  }

  @Test
  @DisplayName("the verb is upper-cased and stops at the first non-letter")
  void otherVerbs() {
    assertThat(StatementRunner.command("Update t set a = 1")).isEqualTo("UPDATE");
    assertThat(StatementRunner.command("delete from t")).isEqualTo("DELETE");
    assertThat(StatementRunner.command("create table t(a int)")).isEqualTo("CREATE");
    assertThat(StatementRunner.command("begin;")).isEqualTo("BEGIN");
  }

  @Test
  @DisplayName("empty, blank, comment-only and unterminated comment input -> UNKNOWN")
  void unknown() {
    assertThat(StatementRunner.command("")).isEqualTo("UNKNOWN");
    assertThat(StatementRunner.command("   \n ")).isEqualTo("UNKNOWN");
    assertThat(StatementRunner.command("-- only a comment")).isEqualTo("UNKNOWN");
    assertThat(StatementRunner.command("/* never closed")).isEqualTo("UNKNOWN");
    assertThat(StatementRunner.command("123")).isEqualTo("UNKNOWN");
  }
}
