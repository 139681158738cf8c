package dev.pgdo.tenant;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Tokens, token hashes and tenant role passwords. Thread-safe.
 *
 * <p>Tokens carry 256 random bits, so a single SHA-256 is a sufficient stored hash (no salt or
 * stretching is needed against guessing). Role passwords are never stored: each is
 * HMAC-SHA256(tenantSecret, role name), so every node that shares the secret can log in as the
 * tenant. The same HMAC makes the opaque database and role names ({@link TenantNames}).
 */
public final class Secrets {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] tenantSecret;

  public Secrets(String tenantSecret) {
    this.tenantSecret = tenantSecret.getBytes(StandardCharsets.UTF_8);
  }

  /** A new random token: 32 bytes as 64 hex characters. */
  public static String newToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  public static byte[] hash(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Constant-time comparison of a presented token with a stored hash. */
  public static boolean matches(String presented, byte[] storedHash) {
    return presented != null && storedHash != null && MessageDigest.isEqual(hash(presented), storedHash);
  }

  public String rolePassword(String role) {
    return hmacHex(role);
  }

  /** HMAC-SHA256 of {@code value} under the tenant secret, as 64 hex digits. */
  public String hmacHex(String value) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(tenantSecret, "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(value.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
