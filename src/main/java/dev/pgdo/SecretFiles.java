package dev.pgdo;

import dev.pgdo.tenant.Secrets;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/** Secrets generated on first start and kept in the data directory, readable by the owner only (0600). */
final class SecretFiles {

  private SecretFiles() {
  }

  /**
   * Reads the secret in {@code file}, creating it with a new random value if absent: written to a
   * temporary file first and moved into place atomically, so a crash or a concurrent start never
   * leaves an empty secret. Blocking.
   */
  static String readOrCreate(Path file) {
    try {
      Path dir = file.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      if (!Files.exists(file)) {
        Path temp = Files.createTempFile(dir, ".secret", ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(temp, Secrets.newToken() + "\n");
        try {
          Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException raced) {
          Files.deleteIfExists(temp); // another process created it first: read theirs
        }
      }
      String secret = Files.readString(file).trim();
      if (secret.isEmpty()) {
        throw new IllegalStateException(file + " is empty; delete it to generate a new secret");
      }
      return secret;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create " + file, e);
    }
  }
}
