package dev.pgdo.web;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * The parts of a {@code Neon-Connection-String} header that postgres-do uses: user name,
 * password and database (host, port and parameters such as {@code sslmode} or
 * {@code application_name} are ignored: the request already reached this node). The driver
 * sends the string as WHATWG's URL serializer wrote it, so user info and path are %-encoded.
 *
 * @param password null when the string has none (the driver's {@code authToken} form)
 */
record NeonConnectionString(String user, String password, String database) {

  /** @throws PgdoException {@code invalid_request} naming what is wrong, never echoing the password */
  static NeonConnectionString parse(String header) {
    if (header == null || header.isBlank()) {
      throw invalid("the Neon-Connection-String header is missing; "
          + "expected postgresql://<tenant>:<token>@<host>/<tenant>", null);
    }
    URI uri;
    try {
      uri = new URI(header.trim());
    } catch (URISyntaxException e) {
      throw invalid("the Neon-Connection-String header is not a valid URL (user name and password must be "
          + "%-encoded)", null);
    }
    String scheme = uri.getScheme();
    if (!"postgresql".equalsIgnoreCase(scheme) && !"postgres".equalsIgnoreCase(scheme)) {
      throw invalid("the Neon-Connection-String header must be a postgresql:// URL", null);
    }
    String userInfo = uri.getRawUserInfo();
    if (userInfo == null || userInfo.isEmpty() || userInfo.startsWith(":")) {
      throw invalid("the Neon-Connection-String has no user name; the user name is the tenant id", null);
    }
    int colon = userInfo.indexOf(':');
    String user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
    String password = colon < 0 ? null : decode(userInfo.substring(colon + 1));
    String path = uri.getRawPath();
    if (path == null || path.length() < 2 || path.indexOf('/', 1) >= 0) {
      throw invalid("the Neon-Connection-String names no database (postgresql://<tenant>:<token>@<host>/<tenant>)",
          "3D000");
    }
    String database = decode(path.substring(1));
    return new NeonConnectionString(user, password == null || password.isEmpty() ? null : password, database);
  }

  /** {@link URI} has already refused malformed %-escapes. */
  private static String decode(String raw) {
    // a '+' is itself in user info and paths, not an encoded space
    return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  static PgdoException invalid(String message, String sqlState) {
    JsonObject details = sqlState == null ? new JsonObject() : new JsonObject().put("sqlState", sqlState);
    return new PgdoException(ErrorCode.INVALID_REQUEST, message, details);
  }
}
