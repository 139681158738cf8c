package dev.pgdo;

import dev.pgdo.tenant.Secrets;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Secrets generated on first start and kept in the data directory, readable by the owner only (0600). */
final class SecretFiles {

  private SecretFiles() {
  }

  /** Reads the secret in {@code file}, creating it with a new random value if absent. Blocking. */
  static String readOrCreate(Path file) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      if (!Files.exists(file)) {
        try {
          Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
          Files.writeString(file, Secrets.newToken() + "\n");
        } catch (FileAlreadyExistsException raced) {
          // another process created it first: read theirs
        }
      }
      return Files.readString(file).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create " + file, e);
    }
  }
}
