package dev.pgdo.bus;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("SqlScanner: statements read as PostgreSQL 15's scan.l reads them")
class SqlScannerTest {

  private static final String HIDE = "/* /* */ SELECT */ ";

  /** sql, verb, transactionControl, copy, hasStringLiterals. */
  static Stream<Arguments> cases() {
    return Stream.of(
        // plain statements and the verb
        row("select 1", "SELECT", false, false, false),
        row("Update t set a = 1", "UPDATE", false, false, false),
        row("delete from t", "DELETE", false, false, false),
        row("create table t(a int)", "CREATE", false, false, false),
        row("VALUES (1), (2)", "SELECT", false, false, false),
        row("table t", "SELECT", false, false, false),
        row("(SELECT 1)", "SELECT", false, false, false),
        row("  -- c\n/* x */ (insert into t values (1))", "INSERT", false, false, false),
        row("/* a */ /* b */\n\t-- c\n  ((select 1))", "SELECT", false, false, false),
        row("with x as (select 1) select * from x", "SELECT", false, false, false),
        row("WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", "SELECT", false, false, false),
        row("WITH x AS (SELECT 1) DELETE FROM t", "DELETE", false, false, false),
        row("WITH RECURSIVE r(n) AS (VALUES (1) UNION ALL SELECT n + 1 FROM r) "
            + "SEARCH DEPTH FIRST BY n SET o INSERT INTO t SELECT n FROM r", "INSERT", false, false, false),
        row("with x as materialized (select 1) values (2)", "SELECT", false, false, false),
        row("", "UNKNOWN", false, false, false),
        row("   \n ", "UNKNOWN", false, false, false),
        row("-- only a comment", "UNKNOWN", false, false, false),
        row("123", "UNKNOWN", false, false, false),
        row("\"begin\"", "UNKNOWN", false, false, false),
        row("\u000bBEGIN", "UNKNOWN", false, false, false), // vertical tab is not whitespace in PostgreSQL 15
        row("\u00a0BEGIN", "\u00a0BEGIN", false, false, false), // one identifier: bytes >= 0x80 are letters
        row("beg\u0131n", "BEG\u0131N", false, false, false), // only ASCII letters fold

        // the HIDE prefix and other comment disguises
        row(HIDE + "BEGIN", "BEGIN", true, false, false),
        row(HIDE + "COMMIT", "COMMIT", true, false, false),
        row(HIDE + "COPY t FROM STDIN", "COPY", false, true, false),
        row("/*/**/*/COMMIT", "COMMIT", true, false, false),
        row("/* a /* b /* c */ d */ e */ ROLLBACK", "ROLLBACK", true, false, false),
        row("/**/begin", "BEGIN", true, false, false),
        row("/***/ end", "END", true, false, false),
        row("-- select\nABORT", "ABORT", true, false, false),
        row("--\rcommit", "COMMIT", true, false, false),
        row("select 1 --", "SELECT", false, false, false),
        row("select 1 +/* c */ 2", "SELECT", false, false, false),
        row("select 1 --- 2\n", "SELECT", false, false, false),
        row("/* /* */ commit", "UNKNOWN", false, false, false), // the comment is still open

        // transaction control, and what is not
        row("begin;", "BEGIN", true, false, false),
        row("BEGIN ISOLATION LEVEL SERIALIZABLE", "BEGIN", true, false, false),
        row("START TRANSACTION READ WRITE", "START", true, false, false),
        row("COMMIT AND CHAIN", "COMMIT", true, false, false),
        row("end work", "END", true, false, false),
        row("ABORT", "ABORT", true, false, false),
        row("ROLLBACK", "ROLLBACK", true, false, false),
        row("ROLLBACK AND NO CHAIN", "ROLLBACK", true, false, false),
        row("ROLLBACK TO SAVEPOINT s", "ROLLBACK", false, false, false),
        row("rollback work to s", "ROLLBACK", false, false, false),
        row("ROLLBACK TRANSACTION TO SAVEPOINT s", "ROLLBACK", false, false, false),
        row("ROLLBACK PREPARED 'x'", "ROLLBACK", true, false, true),
        row("COMMIT PREPARED 'x'", "COMMIT", true, false, true),
        row("PREPARE TRANSACTION 'x'", "PREPARE", true, false, true),
        row("PREPARE p AS SELECT 1", "PREPARE", false, false, false),
        row("PREPARE \"transaction\" AS SELECT 1", "PREPARE", false, false, false),
        row("SET TRANSACTION READ WRITE", "SET", true, false, false),
        row("set local transaction isolation level serializable", "SET", true, false, false),
        row("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", "SET", true, false, false),
        row("SET SESSION SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", "SET", true, false, false),
        row("SET transaction_read_only = off", "SET", true, false, false),
        row("set session \"Transaction_Read_Only\" to off", "SET", true, false, false),
        row("RESET transaction_isolation", "RESET", true, false, false),
        row("SET default_transaction_read_only = on", "SET", true, false, false),
        row("SET SESSION AUTHORIZATION DEFAULT", "SET", false, false, false),
        row("SET search_path = public", "SET", false, false, false),
        row("SET LOCAL statement_timeout = '1s'", "SET", false, false, true),
        row("SAVEPOINT s", "SAVEPOINT", false, false, false),
        row("RELEASE SAVEPOINT s", "RELEASE", false, false, false),
        row("select 1; commit", "SELECT", true, false, false),
        row(";;  ; begin", "BEGIN", true, false, false),

        // quoted constants
        row("select 'begin'", "SELECT", false, false, true),
        row("select 'a'';commit;'", "SELECT", false, false, true),
        row("select E'\\''; commit", "SELECT", true, false, true),
        row("select E'\\'; commit'", "SELECT", false, false, true),
        row("select '\\'; commit", "SELECT", true, false, true), // standard_conforming_strings: \ is plain
        row("select e'\\\\'; commit", "SELECT", true, false, true),
        row("select U&'\\0041'", "SELECT", false, false, true),
        row("select u&'d\\0061t\\+000061' UESCAPE '\\'", "SELECT", false, false, true),
        row("select U&\"d\\0061t\" from t", "SELECT", false, false, false),
        row("select N'x''; commit'", "SELECT", false, false, true),
        row("select B'1010', X'1F'", "SELECT", false, false, true),
        row("select b'01''; commit'", "SELECT", false, false, true),
        row("select \"a\"\"; commit\"", "SELECT", false, false, false),
        row("select \"--\" from t; commit", "SELECT", true, false, false),
        row("select '--'; commit", "SELECT", true, false, true),
        row("select '/*'; commit", "SELECT", true, false, true),
        row("select e 'x'", "SELECT", false, false, true),
        row("select abe'x'", "SELECT", false, false, true),
        // a string continues across a newline: the E'' escapes hold for the second part
        row("select E'a'\n'\\'; commit'", "SELECT", false, false, true),
        row("select E'a' -- c\n  '\\'; commit'", "SELECT", false, false, true),
        row("select E'a' '\\'; commit", "SELECT", true, false, true), // no newline: a new standard string

        // dollar quotes and parameters
        row("select $$; commit$$", "SELECT", false, false, true),
        row("select $a$ x $b$ ; commit; $b$ y $a$", "SELECT", false, false, true),
        row("select $a$ x $$ ; $a$; commit", "SELECT", true, false, true),
        row("select $1; commit", "SELECT", true, false, false),
        row("select $1$x$; commit", "SELECT", false, false, true), // $1 then an unterminated $x$ quote
        row("select a$b$; commit", "SELECT", true, false, false),
        row("select $_\u00e9$ ; $_\u00e9$", "SELECT", false, false, true),
        row("select $a b$; commit", "SELECT", true, false, false),
        row("DO $$BEGIN COMMIT; END$$", "DO", false, false, true),
        row("DO LANGUAGE plpgsql $body$ BEGIN EXECUTE 'COMMIT'; END $body$", "DO", false, false, true),
        row("CALL p()", "CALL", false, false, false),

        // COPY in disguises
        row("COPY t FROM STDIN", "COPY", false, true, false),
        row("/* x */ copy (select 1) to stdout", "COPY", false, true, false),
        row("select 1; COPY t TO STDOUT", "SELECT", false, true, false),
        row("select 'copy'", "SELECT", false, false, true),

        // statements that hold semicolons
        row("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END",
            "CREATE", false, false, false),
        row("create or replace procedure p() language sql begin atomic "
            + "select case when true then 1 end; end; commit", "CREATE", true, false, false),
        row("CREATE RULE r AS ON INSERT TO t DO ALSO (NOTIFY a; NOTIFY b)", "CREATE", false, false, false),

        // numbers
        row("select 1.e5, .5, 1..2; commit", "SELECT", true, false, false),
        row("select 1e'x'", "SELECT", false, false, true)
    );
  }

  private static Arguments row(String sql, String verb, boolean transactionControl, boolean copy, boolean strings) {
    return Arguments.of(sql, verb, transactionControl, copy, strings);
  }

  @ParameterizedTest(name = "[{index}] <{0}>")
  @MethodSource("cases")
  void reads(String sql, String verb, boolean transactionControl, boolean copy, boolean strings) {
    SqlScanner.Scan scan = SqlScanner.scan(sql);
    assertThat(scan.verb()).as("verb").isEqualTo(verb);
    assertThat(scan.transactionControl()).as("transactionControl").isEqualTo(transactionControl);
    assertThat(scan.copy()).as("copy").isEqualTo(copy);
    assertThat(scan.hasStringLiterals()).as("hasStringLiterals").isEqualTo(strings);
  }

  @Test
  @DisplayName("unterminated comments, constants and identifiers are reported and hide what follows")
  void unterminated() {
    for (String sql : new String[] {"/* never closed", "select 'x; commit", "select E'\\'", "select \"x; commit",
        "select $a$ x $b$", "/* /* */ commit", "select B'01"}) {
      SqlScanner.Scan scan = SqlScanner.scan(sql);
      assertThat(scan.unterminated()).as(sql).isTrue();
      assertThat(scan.transactionControl()).as(sql).isFalse();
    }
    assertThat(SqlScanner.scan("select 1 --").unterminated()).isFalse();
  }

  @Test
  @DisplayName("statements are counted at semicolons outside parentheses and routine bodies")
  void statementCount() {
    assertThat(SqlScanner.scan("select 1").statements()).isEqualTo(1);
    assertThat(SqlScanner.scan("select 1;").statements()).isEqualTo(1);
    assertThat(SqlScanner.scan(";;").statements()).isZero();
    assertThat(SqlScanner.scan("select 1; select ';'; select 3").statements()).isEqualTo(3);
    assertThat(SqlScanner.scan("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END; select 2")
        .statements()).isEqualTo(2);
  }

  @Test
  @DisplayName("CommandTags.of is the scanner's verb")
  void commandTags() {
    assertThat(CommandTags.of(HIDE + "insert into t values (1)")).isEqualTo("INSERT");
  }

  @Test
  @DisplayName("a long text is scanned in one pass")
  void longText() {
    String sql = "select " + "'x', ".repeat(200_000) + "1; commit";
    SqlScanner.Scan scan = SqlScanner.scan(sql);
    assertThat(scan.transactionControl()).isTrue();
    assertThat(scan.statements()).isEqualTo(2);
  }
}
