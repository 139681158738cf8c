package dev.pgdo.tenant;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Over its disk quota a tenant may read (read-only) and free space, not grow")
class QuotaStatementsTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "select count(*) from t                              | READ_ONLY",
      "select grow()                                       | READ_ONLY",
      "show work_mem                                       | READ_ONLY",
      "explain select * from t                             | READ_ONLY",
      "with x as (select 1) select * from x                | READ_ONLY",
      "delete from t where id < 10                         | AS_SENT",
      "truncate t                                          | AS_SENT",
      "drop table t                                        | AS_SENT",
      "vacuum t                                            | AS_SENT",
      "select count(*) from t;; truncate t                 | AS_SENT",
      "insert into t values (1)                            | REFUSED",
      "update t set v = 1                                  | REFUSED",
      "create table u (x int)                              | REFUSED",
      "select * into u from t                              | REFUSED",
      "with x as (insert into t values (1) returning *) select * from x | REFUSED",
      "delete from t where id in (select id from t) ;; insert into t values (2) | REFUSED",
      "explain analyze insert into t values (1)            | REFUSED",
  })
  void decision(String statements, QuotaStatements.Decision expected) {
    List<String> sqls = Arrays.stream(statements.split(";;")).map(String::trim).toList();
    assertThat(QuotaStatements.overQuota(sqls)).isEqualTo(expected);
  }
}
