package dev.pgdo.tenant;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The PostgreSQL database and role of a tenant: {@code t_<tenant>}. PostgreSQL identifiers stop at
 * 63 bytes, so a tenant id longer than 61 characters becomes {@code h_<first 44 characters>_<16
 * hex digits of its SHA-256>}; the distinct prefix keeps the two forms from ever colliding. Both
 * names are the same string: the role owns the database.
 */
public final class TenantNames {

  private static final int MAX_IDENTIFIER = 63;

  private TenantNames() {
  }

  public static String of(String tenant) {
    String plain = "t_" + tenant;
    if (plain.length() <= MAX_IDENTIFIER) {
      return plain;
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(tenant.getBytes(StandardCharsets.UTF_8));
      return "h_" + tenant.substring(0, 44) + "_" + HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Quotes an identifier for SQL text. Tenant ids cannot hold '"', but quoting stays correct anyway. */
  public static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }
}
