/** The statement every throughput target of scripts/bench.sh runs: pgbench's own -S select. */
final class BenchSql {

  static final String POINT_SELECT = "SELECT abalance FROM pgbench_accounts WHERE aid = $1";

  private BenchSql() {
  }
}
