package dev.pgdo.tenant;

import dev.pgdo.bus.ErrorCode;
import dev.pgdo.bus.PgdoException;
import dev.pgdo.bus.TenantId;
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
  @DisplayName("names are t_ + 24 hex of HMAC-SHA256(secret, tenant-name:<id>) (checked with Python)")
  void namesMatchPython() {
    // python3: hmac.new(b's3cret', b'tenant-name:acme', hashlib.sha256).hexdigest()[:24]
    assertThat(new TenantNames(new Secrets("s3cret")).of("acme")).isEqualTo("t_83337527f88f37f38d2c5cbe");
    assertThat(new TenantNames(new Secrets("other")).of("acme")).isEqualTo("t_45c02d06e51c329a42b227ee");
  }

  @Test
  @DisplayName("names are opaque, fixed-length identifiers, distinct per tenant and stable per secret")
  void namesAreOpaque() {
    TenantNames names = new TenantNames(new Secrets("s3cret"));
    String longest = "z".repeat(63);
    assertThat(names.of(longest)).hasSize(26).matches("t_[0-9a-f]{24}").doesNotContain("zzz");
    assertThat(names.of("acme")).doesNotContain("acme");
    assertThat(names.of("acme")).isEqualTo(new TenantNames(new Secrets("s3cret")).of("acme"));
    java.util.Set<String> distinct = new java.util.HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      distinct.add(names.of("tenant-" + i));
    }
    assertThat(distinct).hasSize(10_000);
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

  @Test
  @DisplayName("roleVerifier is the role's SCRAM-SHA-256 secret in PostgreSQL's form, one iteration, derived salt")
  void roleVerifier() {
    Secrets one = new Secrets("s3cret");
    // python3: pw = hmac(b's3cret', b't_acme').hexdigest(); salt = hmac(b's3cret', b'scram-salt:t_acme')[:16];
    // sp = hashlib.pbkdf2_hmac('sha256', pw.encode(), salt, 1); StoredKey = sha256(hmac(sp, b'Client Key'));
    // ServerKey = hmac(sp, b'Server Key'); all base64
    assertThat(one.roleVerifier("t_acme")).isEqualTo("SCRAM-SHA-256$1:yrxtmuv/9wmDwn/I0C2lVQ==$"
        + "eXPqa4fs40BXSeLvGpGlUavz6iWBIItYR+1MgdMcb6k=:4tb/fK4nMm22s4Kd6CkdHWnmV9TeZ3aZ97Tt6GwktZ4=");
    assertThat(one.roleVerifier("t_globex")).isNotEqualTo(one.roleVerifier("t_acme"));
    assertThat(one.roleVerifier("t_acme")).doesNotContain("'");
  }
}
