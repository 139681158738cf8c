package dev.pgdo.compute;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;

import java.time.Duration;
import java.util.List;
import java.util.function.Function;

/**
 * One tenant's connections on one compute member: a Vert.x pool logged in as the tenant's role,
 * plus what the member learnt about the tenant's statements (their inferred parameter types).
 *
 * <p>Confined to its member's event loop: no locking.
 */
final class TenantPool {

  private final String tenant;
  private final Pool pool;
  private final Cache<String, List<String>> parameterTypes = Caffeine.newBuilder()
      .maximumSize(256)
      .expireAfterWrite(Duration.ofMinutes(5)) // a schema change can alter inferred types
      .executor(Runnable::run)
      .build();
  private int inFlight;
  private boolean retired;

  TenantPool(String tenant, Pool pool) {
    this.tenant = tenant;
    this.pool = pool;
  }

  String tenant() {
    return tenant;
  }

  /** Open connections, idle or busy. */
  int connections() {
    return pool.size();
  }

  /** True when an open connection is free right now, so the next statement needs no connection set-up. */
  boolean hasIdleConnection() {
    return pool.size() > inFlight;
  }

  int inFlight() {
    return inFlight;
  }

  <T> Future<T> withConnection(Function<SqlConnection, Future<T>> work) {
    inFlight++;
    return pool.withConnection(work).andThen(done -> {
      inFlight--;
      closeIfRetiredAndIdle();
    });
  }

  List<String> knownParameterTypes(String sql) {
    return parameterTypes.getIfPresent(sql);
  }

  void learnParameterTypes(String sql, List<String> types) {
    parameterTypes.put(sql, types);
  }

  void forgetParameterTypes(String sql) {
    parameterTypes.invalidate(sql);
  }

  /** Stops the pool once its in-flight statements are done; evicted pools must not cut queries short. */
  void retire() {
    retired = true;
    closeIfRetiredAndIdle();
  }

  private void closeIfRetiredAndIdle() {
    if (retired && inFlight == 0) {
      pool.close();
    }
  }
}
