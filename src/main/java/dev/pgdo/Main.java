package dev.pgdo;

import dev.pgdo.config.AppConfig;
import dev.pgdo.config.ConfigException;
import dev.pgdo.config.ConfigLoader;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Entry point: {@code java -jar postgres-do.jar [-conf conf/<file>.json] [--region R] [--http-port N]}.
 * SIGTERM and SIGINT drain and stop the node, then exit 0.
 */
public final class Main {

  private Main() {
  }

  public static void main(String[] args) {
    AppConfig config;
    try {
      config = ConfigLoader.load(args, System.getenv());
    } catch (ConfigException e) {
      System.err.println("postgres-do: " + e.getMessage());
      System.exit(2);
      return;
    }
    configureLogging(config.logging());
    Node node;
    try {
      node = Node.start(config);
    } catch (RuntimeException e) {
      LoggerFactory.getLogger(Main.class).error("postgres-do failed to start: {}", e.getMessage(), e);
      System.exit(1);
      return;
    }
    Runnable stopAndExit = () -> {
      try {
        node.stop();
      } finally {
        System.exit(0);
      }
    };
    // A signal handler (rather than only a shutdown hook) lets the JVM exit 0 after a clean drain.
    Signal.handle(new Signal("TERM"), signal -> new Thread(stopAndExit, "pgdo-shutdown").start());
    Signal.handle(new Signal("INT"), signal -> new Thread(stopAndExit, "pgdo-shutdown").start());
    Runtime.getRuntime().addShutdownHook(new Thread(node::stop, "pgdo-shutdown-hook"));
  }

  /**
   * Applies {@code logging.*}. Libraries may have logged (and so configured logback with
   * logback.xml) while the configuration was read, so JSON output is switched on by reloading
   * logback with logback-json.xml, the way logback documents it.
   */
  private static void configureLogging(AppConfig.Logging logging) {
    System.setProperty("hazelcast.logging.type", "slf4j");
    if (logging.json() && LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      try {
        context.reset();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(Main.class.getResource("/logback-json.xml"));
      } catch (JoranException e) {
        System.err.println("postgres-do: cannot switch to JSON logging: " + e.getMessage());
      }
    }
    Logger ours = LoggerFactory.getLogger("dev.pgdo");
    if (ours instanceof ch.qos.logback.classic.Logger logbackLogger) {
      logbackLogger.setLevel(ch.qos.logback.classic.Level.toLevel(logging.level()));
    }
  }
}
