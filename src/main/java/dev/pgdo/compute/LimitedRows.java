package dev.pgdo.compute;

import io.vertx.sqlclient.Row;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.BinaryOperator;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collector;

/**
 * Collects result rows up to the row and (estimated) byte limits, then keeps only counting, so a
 * huge result never sits in memory. Used as the client's row collector; one instance per statement.
 */
final class LimitedRows {

  final List<Row> rows = new ArrayList<>();
  long estimatedBytes;
  boolean overflow;

  private final int maxRows;
  private final long maxBytes;

  private LimitedRows(int maxRows, long maxBytes) {
    this.maxRows = maxRows;
    this.maxBytes = maxBytes;
  }

  static Collector<Row, LimitedRows, LimitedRows> collector(int maxRows, long maxBytes) {
    return new Collector<>() {
      @Override
      public Supplier<LimitedRows> supplier() {
        return () -> new LimitedRows(maxRows, maxBytes);
      }

      @Override
      public BiConsumer<LimitedRows, Row> accumulator() {
        return LimitedRows::add;
      }

      @Override
      public BinaryOperator<LimitedRows> combiner() {
        return (a, b) -> {
          throw new UnsupportedOperationException("row collection is sequential");
        };
      }

      @Override
      public Function<LimitedRows, LimitedRows> finisher() {
        return Function.identity();
      }

      @Override
      public Set<Characteristics> characteristics() {
        return Set.of(Characteristics.IDENTITY_FINISH);
      }
    };
  }

  private void add(Row row) {
    if (overflow) {
      return;
    }
    long size = 2;
    for (int i = 0; i < row.size(); i++) {
      size += RowEncoder.estimateBytes(row.getValue(i)) + 1;
    }
    estimatedBytes += size;
    if (rows.size() >= maxRows || estimatedBytes > maxBytes) {
      overflow = true;
      rows.clear();
      return;
    }
    rows.add(row);
  }
}
