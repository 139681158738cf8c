package dev.pgdo.tenant;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("TenantNames, TenantId and Secrets")
class TenantTest {

  // ---- TenantNames ----

  @Test
  @DisplayName("TenantNames.of(acme) is t_acme")
  void plainName() {
    assertThat(TenantNames.of("acme")).isEqualTo("t_acme");
  }

  @Test
  @DisplayName("a 61-char tenant still fits as t_<tenant> (63 chars)")
  void longestPlain() {
    String t = "b".repeat(61);
    assertThat(TenantNames.of(t)).isEqualTo("t_" + t).hasSize(63);
  }

  @Test
  @DisplayName("a 62-char tenant is shortened: h_ + first 44 chars + _ + 16 hex of SHA-256 (checked with Python)")
  void shortenedMatchesPython() {
    // python3: t='a'*62; 'h_'+t[:44]+'_'+hashlib.sha256(t.encode()).hexdigest()[:16]
    assertThat(TenantNames.of("a".repeat(62)))
        .isEqualTo("h_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_f506898cc7c2e092");
  }

  @Test
  @DisplayName("a 63-char tenant gives a name of at most 63 chars, distinct for tenants sharing 50 chars")
  void longNamesDistinct() {
    String prefix = "p".repeat(50);
    String a = prefix + "a".repeat(13);
    String b = prefix + "b".repeat(13);
    assertThat(a).hasSize(63);
    assertThat(TenantNames.of(a)).hasSizeLessThanOrEqualTo(63).startsWith("h_");
    assertThat(TenantNames.of(b)).hasSizeLessThanOrEqualTo(63);
    assertThat(TenantNames.of(a)).isNotEqualTo(TenantNames.of(b));
    assertThat(TenantNames.of(a)).isEqualTo(TenantNames.of(a));
    assertThat(TenantNames.of(a)).matches("[a-z0-9_-]+");
  }

  @Test
  @DisplayName("distinct tenants never share a database name (a short id cannot mimic a shortened long id)")
  void shortIdCannotCollideWithShortenedLongId() {
    String longTenant = "a".repeat(62);
    String shortened = TenantNames.of(longTenant);      // h_<44 a>_<16 hex>
    String mimic = shortened.substring(2);              // 61 chars, a valid tenant id
    assertThat(TenantId.isValid(mimic)).isTrue();
    assertThat(mimic).isNotEqualTo(longTenant);
    assertThat(TenantNames.of(mimic)).isNotEqualTo(TenantNames.of(longTenant));
  }

  @Test
  @DisplayName("quote doubles embedded double quotes")
  void quote() {
    assertThat(TenantNames.quote("a\"b")).isEqualTo("\"a\"\"b\"");
    assertThat(TenantNames.quote("t_acme")).isEqualTo("\"t_acme\"");
    assertThat(TenantNames.quote("")).isEqualTo("\"\"");
  }

  // ---- TenantId ----

  @ParameterizedTest(name = "\"{0}\" is valid")
  @ValueSource(strings = {"a", "0", "acme", "a-b_c", "9_", "a-", "a_-_-9"})
  @DisplayName("ids matching ^[a-z0-9][a-z0-9_-]{0,62}$ are valid")
  void validIds(String id) {
    assertThat(TenantId.isValid(id)).isTrue();
    assertThat(TenantId.require(id)).isEqualTo(id);
  }

  @Test
  @DisplayName("63 chars is the longest valid id; 64 is invalid")
  void lengthBoundary() {
    assertThat(TenantId.isValid("z".repeat(63))).isTrue();
    assertThat(TenantId.isValid("z".repeat(64))).isFalse();
  }

  @ParameterizedTest(name = "\"{0}\" is invalid")
  @ValueSource(strings = {"", "-a", "_a", "A", "acmE", "a b", "a.b", "a/b", "é", "a\n", "\na", " a", "a;drop", "a\"b"})
  @DisplayName("ids breaking the pattern are invalid and require() throws invalid_tenant")
  void invalidIds(String id) {
    assertThat(TenantId.isValid(id)).isFalse();
    assertThatThrownBy(() -> TenantId.require(id))
        .isInstanceOf(PgdoException.class)
        .satisfies(e -> assertThat(((PgdoException) e).code()).isEqualTo(ErrorCode.INVALID_TENANT));
  }

  @Test
  @DisplayName("null is invalid")
  void nullId() {
    assertThat(TenantId.isValid(null)).isFalse();
    assertThatThrownBy(() -> TenantId.require(null))
        .isInstanceOf(PgdoException.class)
        .satisfies(e -> assertThat(((PgdoException) e).code()).isEqualTo(ErrorCode.INVALID_TENANT));
  }

  // ---- Secrets ----

  @Test
  @DisplayName("newToken is 64 lower-case hex chars and differs on every call")
  void newToken() {
    String a = Secrets.newToken();
    String b = Secrets.newToken();
    assertThat(a).hasSize(64).matches("[0-9a-f]{64}");
    assertThat(b).hasSize(64).matches("[0-9a-f]{64}");
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  @DisplayName("hash is SHA-256 of the token (checked with Python)")
  void hashIsSha256() {
    // python3: hashlib.sha256(b'tok').hexdigest()
    assertThat(HexFormat.of().formatHex(Secrets.hash("tok")))
        .isEqualTo("1a7674eb4ee78df7e1ac439a93c3fa8e3c945784d4dec9fd8e3011738b2f1d62");
  }

  @Test
  @DisplayName("matches accepts the right token only")
  void matches() {
    String token = Secrets.newToken();
    byte[] stored = Secrets.hash(token);
    assertThat(Secrets.matches(token, stored)).isTrue();
    assertThat(Secrets.matches(Secrets.newToken(), stored)).isFalse();
    assertThat(Secrets.matches(null, stored)).isFalse();
    assertThat(Secrets.matches(token, null)).isFalse();
    assertThat(Secrets.matches("", stored)).isFalse();
    assertThat(Secrets.matches(token.toUpperCase(), stored)).isFalse();
  }

  @Test
  @DisplayName("rolePassword is HMAC-SHA256(secret, role): deterministic, secret- and role-dependent")
  void rolePassword() {
    Secrets one = new Secrets("s3cret");
    // python3: hmac.new(b's3cret', b't_acme', hashlib.sha256).hexdigest()
    assertThat(one.rolePassword("t_acme"))
        .isEqualTo("da038be26a0970156c6cdc3a34a8e131ef1d0002cd58c6cd3f0042cfb8b1a320");
    assertThat(new Secrets("s3cret").rolePassword("t_acme")).isEqualTo(one.rolePassword("t_acme"));
    assertThat(new Secrets("other").rolePassword("t_acme")).isNotEqualTo(one.rolePassword("t_acme"));
    assertThat(one.rolePassword("t_globex")).isNotEqualTo(one.rolePassword("t_acme"));
    assertThat(one.rolePassword("t_acme")).matches("[0-9a-f]{64}");
  }
}
