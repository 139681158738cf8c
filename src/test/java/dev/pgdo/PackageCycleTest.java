package dev.pgdo;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 10 item 4: contracts run one way. Reads the imports of every main source file and
 * asserts that the graph of {@code dev.pgdo.*} packages has no cycle (a cycle is named, package
 * by package, in the failure).
 */
@DisplayName("The packages under dev.pgdo import each other without a cycle")
class PackageCycleTest {

  private static final Path SOURCES = Path.of("src/main/java/dev/pgdo");
  private static final Pattern IMPORT = Pattern.compile("^import (?:static )?dev\\.pgdo\\.([a-z]+)\\.", Pattern.MULTILINE);

  @Test
  @DisplayName("no package reaches itself through its imports")
  void acyclic() {
    Map<String, Set<String>> imports = packageImports();
    assertThat(imports).as("packages found").containsKeys("bus", "client", "compute", "db", "tenant", "web");
    for (String start : imports.keySet()) {
      assertThat(pathBack(start, start, imports, new HashSet<>()))
          .as("import cycle through %s", start)
          .isEmpty();
    }
  }

  /** Packages (the root's own files, package "", left out) and the other packages each one imports. */
  private static Map<String, Set<String>> packageImports() {
    Map<String, Set<String>> imports = new TreeMap<>();
    try (Stream<Path> files = Files.walk(SOURCES)) {
      files.filter(file -> file.toString().endsWith(".java") && !file.getParent().equals(SOURCES)).forEach(file -> {
        String own = SOURCES.relativize(file.getParent()).toString();
        Set<String> targets = imports.computeIfAbsent(own, p -> new TreeSet<>());
        Matcher matcher = IMPORT.matcher(read(file));
        while (matcher.find()) {
          if (!matcher.group(1).equals(own)) {
            targets.add(matcher.group(1));
          }
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return imports;
  }

  /** A path of imports from {@code from} back to {@code target}, or an empty list if there is none. */
  private static List<String> pathBack(String target, String from, Map<String, Set<String>> imports, Set<String> seen) {
    for (String next : imports.getOrDefault(from, Set.of())) {
      if (next.equals(target)) {
        return new ArrayList<>(List.of(from, next));
      }
      if (seen.add(next)) {
        List<String> rest = pathBack(target, next, imports, seen);
        if (!rest.isEmpty()) {
          rest.add(0, from);
          return rest;
        }
      }
    }
    return List.of();
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
