import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.HdrHistogram.Histogram;

import java.util.function.Supplier;

/**
 * A closed-loop, constant-concurrency load generator for scripts/bench.sh's Java targets:
 * {@code concurrency} requests are always in flight, each started as soon as the previous one of
 * its slot answers, for a warm-up and then a measured period. Everything runs on one Vert.x
 * context, so the counters need no locks. Latency is measured from send to answer (like wrk). The
 * measured requests are those sent in the measured period; the period ends with the last answer.
 */
final class BenchLoop {

  /** What a measured period produced. */
  record Result(long requests, long errors, double seconds, Histogram micros) {
  }

  private final Supplier<Future<?>> request;
  private final int concurrency;
  private final Histogram micros = BenchStats.histogram();
  private long measureFrom;
  private long stopAt;
  private long lastAnswer;
  private long requests;
  private long errors;
  private int running;
  private Promise<Result> done;

  private BenchLoop(Supplier<Future<?>> request, int concurrency) {
    this.request = request;
    this.concurrency = concurrency;
  }

  /** Runs the loop on a new context of {@code vertx}; completes after warm-up + measured seconds. */
  static Future<Result> run(Vertx vertx, int concurrency, double warmupSeconds, double seconds,
                            Supplier<Future<?>> request) {
    BenchLoop loop = new BenchLoop(request, concurrency);
    Promise<Result> done = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> loop.start(warmupSeconds, seconds, done));
    return done.future();
  }

  private void start(double warmupSeconds, double seconds, Promise<Result> done) {
    this.done = done;
    long now = System.nanoTime();
    measureFrom = now + (long) (warmupSeconds * 1e9);
    stopAt = measureFrom + (long) (seconds * 1e9);
    running = concurrency;
    for (int i = 0; i < concurrency; i++) {
      next();
    }
  }

  private void next() {
    long start = System.nanoTime();
    if (start >= stopAt) {
      if (--running == 0) {
        done.complete(new Result(requests, errors, (Math.max(stopAt, lastAnswer) - measureFrom) / 1e9, micros));
      }
      return;
    }
    Future<?> answer;
    try {
      answer = request.get();
    } catch (RuntimeException e) {
      answer = Future.failedFuture(e);
    }
    answer.onComplete(outcome -> {
      long end = System.nanoTime();
      if (start >= measureFrom) {
        requests++;
        lastAnswer = end;
        if (outcome.succeeded()) {
          micros.recordValue(Math.max(1, (end - start) / 1000));
        } else {
          errors++;
          if (errors <= 3) {
            System.err.println("request failed: " + outcome.cause());
          }
        }
      }
      next();
    });
  }
}
