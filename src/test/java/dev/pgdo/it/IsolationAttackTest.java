package dev.pgdo.it;

import dev.pgdo.tenant.Secrets;
import dev.pgdo.tenant.TenantNames;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tenant A throws a suite of privilege-escalation and cross-tenant SQL at the service; every
 * statement must either be refused (a documented 4xx) or succeed without yielding anything of
 * tenant B, of the service's metadata, or of the host. Afterwards B's data, B's token and the
 * roles' privileges are checked behind the service's back.
 */
@DisplayName("Tenant A's SQL cannot reach tenant B, the service metadata or the host")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IsolationAttackTest {

  private static final String SECRET = "b-secret";
  /** Documented error codes a refused attack may answer with (4xx only: a 5xx is not a safe refusal). */
  private static final Set<String> DOCUMENTED_4XX = Set.of("sql_error", "invalid_request", "result_too_large",
      "too_many_requests");
  private static final Pattern MD5_HASH = Pattern.compile("md5[0-9a-f]{32}");

  private static TestNode node;
  private static String tenantA;
  private static String tokenA;
  private static String tenantB;
  private static String tokenB;
  private static String roleA;
  private static String roleB;
  private static String qa;
  private static String qb;
  private static String metadataDb;
  private static String evil;
  private static String hostFile;
  private static String hostProgramFile;
  private static String marker;
  /** Strings no response to A may ever contain. */
  private static final List<String> forbiddenEverywhere = new ArrayList<>();

  /** One attack: a request body sent as tenant A and what its answer must not show. */
  record Attack(String label, JsonObject body, List<String> forbidden, boolean whoami, boolean concurrentB) {
    @Override
    public String toString() {
      return label;
    }
  }

  @BeforeAll
  static void start() {
    node = TestNode.start();
    tenantA = node.tenantId("a");
    tenantB = node.tenantId("b");
    tokenA = node.createTenant(tenantA);
    tokenB = node.createTenant(tenantB);
    roleA = node.database(tenantA);
    roleB = node.database(tenantB);
    qa = TenantNames.quote(roleA);
    qb = TenantNames.quote(roleB);
    metadataDb = node.node.config().database().metadataDb();
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    evil = "pgdo_evil_" + suffix;
    hostFile = "/tmp/" + evil + "_copy";
    hostProgramFile = "/tmp/" + evil + "_program";
    marker = "pgdo-marker-" + suffix;

    ok(node.query(tenantB, tokenB, sql("create table secrets(v text)")));
    ok(node.query(tenantB, tokenB, sql("insert into secrets values ('" + SECRET + "')")));
    ok(node.query(tenantA, tokenA, sql("create table loot(line text)")));

    forbiddenEverywhere.add(SECRET);
    forbiddenEverywhere.add(tenantB); // names in the catalogs are opaque: B's id must not show
    forbiddenEverywhere.add(tokenB);
    forbiddenEverywhere.add(tokenA);
    forbiddenEverywhere.add(HexFormat.of().formatHex(Secrets.hash(tokenB)));
    forbiddenEverywhere.add(HexFormat.of().formatHex(Secrets.hash(tokenA)));
    forbiddenEverywhere.add(new Secrets("test-secret").rolePassword(roleB));
    forbiddenEverywhere.add(new Secrets("test-secret").rolePassword(roleA));
    forbiddenEverywhere.add("SCRAM-SHA-256$");
    forbiddenEverywhere.add("root:x:0:0");
    forbiddenEverywhere.add(marker);
    String dataDirectory = superuser("show data_directory").iterator().next().getString(0);
    forbiddenEverywhere.add(dataDirectory);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  private static JsonObject sql(String text) {
    return new JsonObject().put("sql", text);
  }

  private static JsonObject tx(String... statements) {
    JsonArray list = new JsonArray();
    for (String s : statements) {
      list.add(sql(s));
    }
    return new JsonObject().put("transaction", list);
  }

  private static JsonObject ok(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  private static RowSet<Row> superuser(String text) {
    return node.superuser().query(text).execute().await();
  }

  private static RowSet<Row> superuser(String text, Tuple args) {
    return node.superuser().preparedQuery(text).execute(args).await();
  }

  private static Attack attack(String label, String text, String... forbidden) {
    return new Attack(label, sql(text), List.of(forbidden), false, false);
  }

  /** Runs {@code statements} in one transaction (one connection), then asks who the session is. */
  private static Attack whoami(String label, String... statements) {
    String[] all = new String[statements.length + 1];
    System.arraycopy(statements, 0, all, 0, statements.length);
    all[statements.length] = "select current_user::text as u, session_user::text as s";
    return new Attack(label, tx(all), List.of(), true, false);
  }

  /** An attack that runs while B has a recognizable query in flight. */
  private static Attack againstBusyB(String label, String text, String... forbidden) {
    return new Attack(label, sql(text), List.of(forbidden), false, true);
  }

  static Stream<Arguments> attacks() {
    List<Attack> list = List.of(
        // --- changing identity ---
        attack("SET ROLE to B's role", "set role " + qb),
        attack("SET ROLE postgres", "set role postgres"),
        whoami("SET ROLE to B's role, then whoami (same connection)", "set role " + qb),
        whoami("SET ROLE postgres, then whoami", "set role postgres"),
        whoami("SET ROLE pg_read_server_files, then whoami", "set role pg_read_server_files"),
        whoami("RESET ROLE, then whoami", "reset role"),
        attack("SET SESSION AUTHORIZATION postgres", "set session authorization postgres"),
        whoami("SET SESSION AUTHORIZATION B's role, then whoami", "set session authorization " + qb),
        whoami("set_config('role', B's role), then whoami", "select set_config('role', '" + roleB + "', false)"),
        whoami("set_config('role', 'postgres'), then whoami", "select set_config('role', 'postgres', false)"),
        whoami("set_config('session_authorization', 'postgres'), then whoami",
            "select set_config('session_authorization', 'postgres', false)"),
        // --- dynamic SQL ---
        attack("DO block: EXECUTE a read of B's table",
            "do $$ declare r text; begin execute 'select string_agg(v, '','') from " + qb.replace("'", "''")
                + ".public.secrets' into r; raise exception 'got %', r; end $$"),
        attack("DO block: EXECUTE create role superuser",
            "do $$ begin execute 'create role " + evil + "_do superuser login'; end $$"),
        attack("DO block: EXECUTE set role postgres then read pg_authid",
            "do $$ declare r text; begin execute 'set role postgres'; "
                + "select string_agg(rolpassword, ',') into r from pg_authid; raise exception 'got %', r; end $$"),
        // --- cross-database ---
        attack("cross-database reference to B's table", "select * from " + qb + ".public.secrets"),
        attack("cross-database reference to the metadata tenants table",
            "select * from " + TenantNames.quote(metadataDb) + ".public.tenants"),
        attack("list every database and role (names must not reveal tenant ids)",
            "select (select string_agg(datname, ',') from pg_database) as dbs, "
                + "(select string_agg(rolname, ',') from pg_roles) as roles"),
        attack("the metadata tenants table in A's own database", "select * from tenants"),
        attack("create extension dblink", "create extension dblink"),
        attack("dblink into B's database",
            "select * from dblink('dbname=" + roleB + " user=" + roleB + " host=127.0.0.1', "
                + "'select v from secrets') as t(v text)"),
        attack("dblink into the metadata database as postgres",
            "select * from dblink('dbname=" + metadataDb + " user=postgres host=127.0.0.1', "
                + "'select encode(token_hash, ''hex'') from tenants') as t(h text)"),
        attack("create extension postgres_fdw", "create extension postgres_fdw"),
        attack("create subscription to B's database",
            "create subscription " + evil + "_sub connection 'dbname=" + roleB + " host=127.0.0.1 user=postgres' "
                + "publication p with (connect = true)"),
        // --- files and programs on the host ---
        attack("COPY (select 1) TO PROGRAM 'id'", "copy (select 1) to program 'id'", "uid="),
        attack("COPY TO PROGRAM touching a host file",
            "copy (select 1) to program 'touch " + hostProgramFile + "'"),
        attack("COPY loot FROM PROGRAM 'cat /etc/passwd'", "copy loot from program 'cat /etc/passwd'"),
        attack("COPY loot FROM '/etc/passwd'", "copy loot from '/etc/passwd'"),
        attack("COPY secrets FROM '/etc/passwd'", "copy secrets from '/etc/passwd'"),
        attack("COPY (select 1) TO a server file", "copy (select 1) to '" + hostFile + "'"),
        attack("read back whatever COPY loaded", "select line from loot"),
        attack("pg_read_file('/etc/passwd')", "select pg_read_file('/etc/passwd')"),
        attack("pg_read_binary_file('/etc/passwd')", "select convert_from(pg_read_binary_file('/etc/passwd'), 'UTF8')"),
        attack("pg_read_file('pg_hba.conf')", "select pg_read_file('pg_hba.conf')", "trust"),
        attack("pg_ls_dir('.')", "select pg_ls_dir('.')", "PG_VERSION", "postgresql.conf"),
        attack("pg_stat_file('postgresql.conf')", "select * from pg_stat_file('postgresql.conf')"),
        attack("lo_import('/etc/passwd')", "select lo_import('/etc/passwd')"),
        attack("lo_export to a server file", "select lo_export(lo_from_bytea(0, 'x'), '" + hostFile + "')"),
        attack("create extension adminpack", "create extension adminpack"),
        attack("create extension file_fdw", "create extension file_fdw"),
        attack("create extension plperlu", "create extension plperlu"),
        attack("create extension plpython3u", "create extension plpython3u"),
        attack("create extension plperl (trusted; harmless if sandboxed)", "create extension plperl"),
        attack("plperl function reading /etc/passwd",
            "create function " + evil + "_perl() returns text language plperl as "
                + "$$ open(my $f, '<', '/etc/passwd') or die 'no'; local $/; return <$f>; $$"),
        attack("call the plperl file reader", "select " + evil + "_perl()"),
        attack("plperl function running a program",
            "create or replace function " + evil + "_perl2() returns text language plperl as "
                + "$$ return `id`; $$"),
        attack("call the plperl program runner", "select " + evil + "_perl2()", "uid="),
        attack("create function in language C calling libc system()",
            "create function " + evil + "_sys(cstring) returns int language c as 'libc.so.6', 'system'"),
        attack("create function in language internal (pg_read_file)",
            "create function " + evil + "_rf(text) returns text language internal as 'pg_read_file_all'"),
        attack("load 'somelib'", "load 'somelib'"),
        attack("load '$libdir/dblink'", "load '$libdir/dblink'"),
        // --- server configuration ---
        attack("ALTER SYSTEM SET", "alter system set application_name = '" + evil + "'"),
        attack("pg_reload_conf()", "select pg_reload_conf()", "true"),
        attack("current_setting('data_directory')", "select current_setting('data_directory')"),
        attack("show hba_file", "show hba_file", "pg_hba.conf"),
        attack("pg_file_settings", "select * from pg_file_settings"),
        attack("pg_hba_file_rules", "select * from pg_hba_file_rules"),
        attack("set statement_timeout = 0 (allowed, harmless)", "set statement_timeout = 0"),
        attack("set session_replication_role = replica", "set session_replication_role = replica"),
        attack("set allow_system_table_mods = on", "set allow_system_table_mods = on"),
        // --- roles and privileges ---
        attack("CREATE ROLE x SUPERUSER", "create role " + evil + " superuser login password 'x'"),
        attack("ALTER ROLE A SUPERUSER", "alter role " + qa + " superuser"),
        attack("ALTER ROLE A CREATEROLE CREATEDB", "alter role " + qa + " createrole createdb"),
        attack("ALTER ROLE A BYPASSRLS REPLICATION", "alter role " + qa + " bypassrls replication"),
        attack("ALTER ROLE B PASSWORD", "alter role " + qb + " password 'owned'"),
        attack("ALTER ROLE B NOLOGIN", "alter role " + qb + " nologin"),
        attack("DROP ROLE B", "drop role " + qb),
        attack("GRANT pg_read_server_files to A", "grant pg_read_server_files to " + qa),
        attack("GRANT pg_execute_server_program to A", "grant pg_execute_server_program to " + qa),
        attack("GRANT pg_write_server_files to A", "grant pg_write_server_files to " + qa),
        attack("GRANT pg_read_all_data to A", "grant pg_read_all_data to " + qa),
        attack("GRANT pg_signal_backend to A", "grant pg_signal_backend to " + qa),
        attack("GRANT B's role to A", "grant " + qb + " to " + qa),
        attack("GRANT postgres to A", "grant postgres to " + qa),
        attack("update pg_authid set rolsuper", "update pg_authid set rolsuper = true where rolname = current_user"),
        // --- password hashes ---
        attack("read pg_authid", "select rolname, rolpassword from pg_authid", "SCRAM-SHA-256", "md5"),
        attack("read pg_shadow", "select usename, passwd from pg_shadow", "SCRAM-SHA-256", "md5"),
        attack("read pg_roles.rolpassword", "select rolname, rolpassword from pg_roles", "SCRAM-SHA-256", "md5"),
        attack("read pg_user.passwd", "select usename, passwd from pg_user", "SCRAM-SHA-256", "md5"),
        // --- other sessions ---
        againstBusyB("pg_stat_activity query text of other sessions",
            "select usename, datname, query from pg_stat_activity where usename is distinct from current_user"),
        againstBusyB("pg_terminate_backend of other backends",
            "select pg_terminate_backend(pid) from pg_stat_activity where usename <> current_user", "true"),
        againstBusyB("pg_terminate_backend of B's backends",
            "select pg_terminate_backend(pid) from pg_stat_activity where usename = '" + roleB + "'", "true"),
        againstBusyB("pg_cancel_backend of B's backends",
            "select pg_cancel_backend(pid) from pg_stat_activity where usename = '" + roleB + "'", "true"),
        againstBusyB("pg_cancel_backend of other backends",
            "select pg_cancel_backend(pid) from pg_stat_activity where usename <> current_user", "true"),
        attack("create a logical replication slot", "select pg_create_logical_replication_slot('" + evil
            + "', 'test_decoding')"),
        // --- shared schemas and catalogs ---
        attack("create table pg_catalog.x", "create table pg_catalog." + evil + "(i int)"),
        attack("create function in pg_catalog",
            "create function pg_catalog." + evil + "() returns int language sql as 'select 1'"),
        attack("create function in A's own public schema (harmless)",
            "create function public." + evil + "() returns int language sql as 'select 1'"),
        attack("create event trigger",
            "create event trigger " + evil + " on ddl_command_start execute function pg_catalog.now()"),
        attack("create tablespace", "create tablespace " + evil + " location '/tmp'"),
        // --- databases ---
        attack("CREATE DATABASE", "create database " + evil),
        attack("ALTER DATABASE B OWNER TO A", "alter database " + qb + " owner to " + qa),
        attack("ALTER DATABASE B SET", "alter database " + qb + " set default_transaction_read_only = on"),
        attack("ALTER DATABASE B CONNECTION LIMIT 0", "alter database " + qb + " connection limit 0"),
        attack("ALTER DATABASE B RENAME", "alter database " + qb + " rename to " + evil + "_renamed"),
        attack("GRANT CONNECT ON DATABASE B TO A", "grant connect on database " + qb + " to " + qa),
        attack("GRANT CONNECT ON metadata DATABASE TO A",
            "grant connect on database " + TenantNames.quote(metadataDb) + " to " + qa),
        attack("DROP DATABASE B", "drop database " + qb),
        attack("DROP DATABASE metadata", "drop database " + TenantNames.quote(metadataDb)));
    return list.stream().map(a -> Arguments.of(a.label(), a));
  }

  @Order(1)
  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("attacks")
  void attackFromA(String label, Attack attack) throws Exception {
    CompletableFuture<HttpResponse<Buffer>> busyB = null;
    if (attack.concurrentB()) {
      busyB = CompletableFuture.supplyAsync(() -> node.query(tenantB, tokenB,
          sql("select pg_sleep(3) is null as slept, '" + marker + "' as m")));
      awaitMarkerVisibleToSuperuser();
    }
    HttpResponse<Buffer> response = node.query(tenantA, tokenA, attack.body());
    String body = response.bodyAsString();
    System.out.println("[isolation] " + label + " -> " + response.statusCode() + " "
        + (body.length() > 300 ? body.substring(0, 300) + "..." : body));
    SoftAssertions soft = new SoftAssertions();
    String what = label + " -> " + response.statusCode() + " " + body;

    if (response.statusCode() != 200) {
      soft.assertThat(response.statusCode()).as("status of " + what).isBetween(400, 499);
      JsonObject error = parseError(body);
      soft.assertThat(error).as("JSON error of " + what).isNotNull();
      if (error != null) {
        soft.assertThat(error.getString("code")).as("error code of " + what).isIn(DOCUMENTED_4XX);
      }
    }
    for (String forbidden : forbiddenEverywhere) {
      soft.assertThat(body).as("leak in " + what).doesNotContain(forbidden);
    }
    for (String forbidden : attack.forbidden()) {
      soft.assertThat(body).as("leak in " + what).doesNotContain(forbidden);
    }
    soft.assertThat(MD5_HASH.matcher(body).find()).as("md5 password hash in " + what).isFalse();
    if (attack.whoami() && response.statusCode() == 200) {
      JsonArray results = response.bodyAsJsonObject().getJsonArray("results");
      JsonObject me = results.getJsonObject(results.size() - 1).getJsonArray("rows").getJsonObject(0);
      soft.assertThat(me.getString("u")).as("current_user after " + what).isEqualTo(roleA);
      soft.assertThat(me.getString("s")).as("session_user after " + what).isEqualTo(roleA);
    }
    if (busyB != null) {
      HttpResponse<Buffer> b = busyB.get(30, TimeUnit.SECONDS);
      soft.assertThat(b.statusCode()).as("B's concurrent query during " + label + ": " + b.bodyAsString())
          .isEqualTo(200);
    }
    // A must still be able to work after its attack (the node keeps serving).
    HttpResponse<Buffer> after = node.query(tenantA, tokenA, sql("select 1 as one"));
    soft.assertThat(after.statusCode()).as("A's next query after " + label + ": " + after.bodyAsString())
        .isEqualTo(200);
    soft.assertAll();
  }

  private static JsonObject parseError(String body) {
    try {
      return new JsonObject(body).getJsonObject("error");
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Makes the pg_stat_activity checks able to fail: the marker must be there for a privileged reader. */
  private static void awaitMarkerVisibleToSuperuser() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      long n = superuser("select count(*) from pg_stat_activity where usename = $1 and state = 'active' "
          + "and position($2 in query) > 0", Tuple.of(roleB, marker)).iterator().next().getLong(0);
      if (n > 0) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("B's marked query never showed in pg_stat_activity");
  }

  @Test
  @Order(2)
  @DisplayName("after the attacks, B's data and token are intact")
  void bIntact() {
    JsonObject rows = ok(node.query(tenantB, tokenB, sql("select v from secrets")));
    assertThat(rows.getJsonArray("rows")).containsExactly(new JsonObject().put("v", SECRET));
    JsonObject me = ok(node.query(tenantB, tokenB, sql("select current_user::text as u")));
    assertThat(me.getJsonArray("rows").getJsonObject(0).getString("u")).isEqualTo(roleB);
  }

  @Test
  @Order(3)
  @DisplayName("A's token does not open B, nor B's token A")
  void tokensDoNotCross() {
    assertThat(node.query(tenantB, tokenA, sql("select v from secrets")).statusCode()).isEqualTo(401);
    assertThat(node.query(tenantA, tokenB, sql("select 1")).statusCode()).isEqualTo(401);
  }

  @Test
  @Order(4)
  @DisplayName("A's and B's roles gained no attribute and no membership")
  void rolesUnchanged() {
    SoftAssertions soft = new SoftAssertions();
    for (String role : List.of(roleA, roleB)) {
      RowSet<Row> rows = superuser("select rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, "
          + "rolcanlogin from pg_roles where rolname = $1", Tuple.of(role));
      soft.assertThat(rows.size()).as("role " + role + " exists").isEqualTo(1);
      if (rows.size() == 1) {
        Row r = rows.iterator().next();
        soft.assertThat(r.getBoolean("rolsuper")).as(role + " rolsuper").isFalse();
        soft.assertThat(r.getBoolean("rolcreaterole")).as(role + " rolcreaterole").isFalse();
        soft.assertThat(r.getBoolean("rolcreatedb")).as(role + " rolcreatedb").isFalse();
        soft.assertThat(r.getBoolean("rolreplication")).as(role + " rolreplication").isFalse();
        soft.assertThat(r.getBoolean("rolbypassrls")).as(role + " rolbypassrls").isFalse();
        soft.assertThat(r.getBoolean("rolcanlogin")).as(role + " rolcanlogin").isTrue();
      }
    }
    for (String target : List.of("pg_read_server_files", "pg_execute_server_program", "pg_write_server_files",
        "pg_read_all_data", "pg_write_all_data", "pg_signal_backend", "pg_read_all_settings", "postgres", roleB)) {
      for (String mode : List.of("MEMBER", "USAGE")) {
        boolean has = superuser("select pg_has_role($1, $2, '" + mode + "')", Tuple.of(roleA, target))
            .iterator().next().getBoolean(0);
        soft.assertThat(has).as(roleA + " has " + mode + " of " + target).isFalse();
      }
    }
    long evilRoles = superuser("select count(*) from pg_roles where rolname like $1", Tuple.of(evil + "%"))
        .iterator().next().getLong(0);
    soft.assertThat(evilRoles).as("roles created by A").isZero();
    soft.assertAll();
  }

  @Test
  @Order(5)
  @DisplayName("databases, server settings and host files are untouched")
  void serverUntouched() {
    SoftAssertions soft = new SoftAssertions();
    RowSet<Row> db = superuser("select pg_get_userbyid(datdba)::text as owner, datconnlimit, datallowconn "
        + "from pg_database where datname = $1", Tuple.of(roleB));
    soft.assertThat(db.size()).as("B's database exists").isEqualTo(1);
    if (db.size() == 1) {
      Row r = db.iterator().next();
      soft.assertThat(r.getString("owner")).as("owner of B's database").isEqualTo(roleB);
      soft.assertThat(r.getInteger("datconnlimit")).as("connection limit of B's database").isEqualTo(-1);
      soft.assertThat(r.getBoolean("datallowconn")).as("B's database allows connections").isTrue();
    }
    long settings = superuser("select count(*) from pg_db_role_setting s join pg_database d on d.oid = s.setdatabase "
        + "where d.datname = $1", Tuple.of(roleB)).iterator().next().getLong(0);
    soft.assertThat(settings).as("settings on B's database").isZero();
    long evilDbs = superuser("select count(*) from pg_database where datname like $1", Tuple.of(evil + "%"))
        .iterator().next().getLong(0);
    soft.assertThat(evilDbs).as("databases created or renamed by A").isZero();
    for (String database : List.of(roleB, metadataDb)) {
      boolean connect = superuser("select has_database_privilege($1, $2, 'CONNECT')", Tuple.of(roleA, database))
          .iterator().next().getBoolean(0);
      soft.assertThat(connect).as(roleA + " may connect to " + database).isFalse();
    }
    String autoConf = superuser("select pg_read_file('postgresql.auto.conf')").iterator().next().getString(0);
    soft.assertThat(autoConf).as("postgresql.auto.conf").doesNotContain(evil);
    long slots = superuser("select count(*) from pg_replication_slots").iterator().next().getLong(0);
    soft.assertThat(slots).as("replication slots").isZero();
    long subscriptions = superuser("select count(*) from pg_subscription").iterator().next().getLong(0);
    soft.assertThat(subscriptions).as("subscriptions").isZero();
    soft.assertThat(Files.exists(Path.of(hostFile))).as("host file written by COPY/lo_export " + hostFile).isFalse();
    soft.assertThat(Files.exists(Path.of(hostProgramFile))).as("host file touched by COPY TO PROGRAM").isFalse();
    soft.assertAll();
  }
}
