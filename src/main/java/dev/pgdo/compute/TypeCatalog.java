package dev.pgdo.compute;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The types of result columns: built-in types from {@link PgType}'s table, every other oid
 * (enums, domains, composites, ranges, extension types) looked up once in the tenant's
 * {@code pg_catalog.pg_type} and cached per tenant and oid (bounded; entries expire, since a
 * tenant may drop and re-create types). A domain answers as its base type, an array of a looked-up
 * type by its element. Confined to the member's event loop.
 */
final class TypeCatalog {

  /**
   * Schema-qualified throughout (operators included), so a tenant's search_path and objects
   * cannot change what it reads. The second branch brings the element types of arrays.
   */
  static final String LOOKUP = """
      SELECT t.oid, t.typname, t.typcategory, t.typelem, t.typbasetype
      FROM pg_catalog.pg_type t
      WHERE t.oid OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.oid[])
         OR t.oid OPERATOR(pg_catalog.=) ANY (SELECT u.typelem FROM pg_catalog.pg_type u
                                              WHERE u.oid OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.oid[]))""";

  private final Cache<String, PgType> looked = Caffeine.newBuilder()
      .maximumSize(10_000)
      .expireAfterWrite(Duration.ofMinutes(10))
      .executor(Runnable::run)
      .build();

  /** The types of {@code columns}, in order; looks up the oids it has not seen for this tenant. */
  Future<PgType[]> resolve(String tenant, SqlConnection conn, WireTap.Column[] columns) {
    PgType[] types = new PgType[columns.length];
    List<Integer> missing = null;
    for (int i = 0; i < columns.length; i++) {
      types[i] = known(tenant, columns[i].typeOid());
      if (types[i] == null) {
        if (missing == null) {
          missing = new ArrayList<>();
        }
        missing.add(columns[i].typeOid());
      }
    }
    if (missing == null) {
      return Future.succeededFuture(types);
    }
    StringJoiner oids = new StringJoiner(",", "{", "}");
    missing.forEach(oid -> oids.add(Integer.toString(oid)));
    return conn.preparedQuery(LOOKUP).execute(Tuple.of(oids.toString())).map(rows -> {
      Map<Integer, Row> byOid = new HashMap<>();
      rows.forEach(row -> byOid.put(Integer.parseInt(row.getString(0)), row));
      for (int i = 0; i < columns.length; i++) {
        if (types[i] == null) {
          int oid = columns[i].typeOid();
          types[i] = typeOf(oid, byOid);
          looked.put(tenant + ':' + oid, types[i]);
        }
      }
      return types;
    });
  }

  private PgType known(String tenant, int oid) {
    PgType type = PgType.builtIn(oid);
    return type != null ? type : looked.getIfPresent(tenant + ':' + oid);
  }

  private static PgType typeOf(int oid, Map<Integer, Row> byOid) {
    Row row = byOid.get(oid);
    if (row == null) {
      return PgType.text(oid, "unknown"); // dropped meanwhile
    }
    String name = row.getString(1);
    int element = Integer.parseInt(row.getString(3));
    int base = Integer.parseInt(row.getString(4));
    if ("A".equals(row.getString(2)) && element != 0) {
      PgType elementType = PgType.builtIn(element);
      if (elementType == null) {
        elementType = byOid.containsKey(element) ? typeOf(element, byOid) : PgType.text(element, "unknown");
      }
      return PgType.of(oid, name, elementType);
    }
    PgType baseType = base == 0 ? null : PgType.builtIn(base);
    if (baseType != null && baseType.kind() != PgType.Kind.ARRAY) {
      // a domain prints as its base type does: answer as the base type, under the domain's name
      return new PgType(oid, name, baseType.kind(), null, ',');
    }
    return PgType.text(oid, name);
  }
}
