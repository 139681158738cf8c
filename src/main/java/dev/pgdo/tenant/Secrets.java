package dev.pgdo.tenant;

import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Tokens, token hashes and tenant role passwords. Thread-safe.
 *
 * <p>Tokens carry 256 random bits, so a single SHA-256 is a sufficient stored hash (no salt or
 * stretching is needed against guessing). Role passwords are never stored: each is
 * HMAC-SHA256(tenantSecret, role name), so every node that shares the secret can log in as the
 * tenant. The same HMAC makes the opaque database and role names ({@link TenantNames}).
 *
 * <p>PostgreSQL is given a role's SCRAM-SHA-256 secret ({@link #roleVerifier}), not its password,
 * so that the iteration count is ours: {@value #ROLE_SCRAM_ITERATIONS}. Key stretching
 * (PostgreSQL's default 4096) slows the guessing of a weak password; a role password is 256
 * bits of HMAC output, which no count changes the cost of guessing, while each of the 4096
 * iterations is paid by the client on every new connection: about 5 ms of the member's event
 * loop per connection, the largest cost of a miss. PostgreSQL 16 makes the count a setting
 * ({@code scram_iterations}, down to 1) for the same reason.
 */
public final class Secrets {

  private static final SecureRandom RANDOM = new SecureRandom();
  static final int ROLE_SCRAM_ITERATIONS = 1;

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

  /**
   * The role's SCRAM-SHA-256 secret as PostgreSQL stores it ({@code pg_authid.rolpassword}),
   * {@code SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>} (RFC 5802, 7677), for
   * {@code CREATE ROLE ... PASSWORD '<secret>'}: PostgreSQL takes a string in this form as the
   * secret itself. The salt is derived too, so every node computes the same secret. Base64 holds
   * no quote, so the secret is safe as a literal.
   */
  public String roleVerifier(String role) {
    try {
      byte[] salt = Arrays.copyOf(hmac(tenantSecret, "scram-salt:" + role), 16);
      // the password is hex digits, which SASLprep leaves as they are
      PBEKeySpec spec = new PBEKeySpec(rolePassword(role).toCharArray(), salt, ROLE_SCRAM_ITERATIONS, 256);
      byte[] saltedPassword = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
      byte[] storedKey = MessageDigest.getInstance("SHA-256").digest(hmac(saltedPassword, "Client Key"));
      byte[] serverKey = hmac(saltedPassword, "Server Key");
      Base64.Encoder base64 = Base64.getEncoder();
      return "SCRAM-SHA-256$" + ROLE_SCRAM_ITERATIONS + ":" + base64.encodeToString(salt) + "$"
          + base64.encodeToString(storedKey) + ":" + base64.encodeToString(serverKey);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] hmac(byte[] key, String value) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(value.getBytes(StandardCharsets.UTF_8));
  }

  /** HMAC-SHA256 of {@code value} under the tenant secret, as 64 hex digits. */
  public String hmacHex(String value) {
    try {
      return HexFormat.of().formatHex(hmac(tenantSecret, value));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
