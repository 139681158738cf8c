import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NeonDbError } from '@neondatabase/serverless';
import { sql, neon, connectionString, host, port, tenant, token } from './env.mjs';

test('tagged template with parameters', async () => {
  const rows = await sql`SELECT ${41}::int + 1 AS answer, ${'ada'} AS name, ${null}::text AS nothing`;
  assert.deepEqual(rows, [{ answer: 42, name: 'ada', nothing: null }]);
});

test('sql.query with fullResults and arrayMode', async () => {
  const result = await sql.query('SELECT $1::int AS a, $2::text AS b', [7, 'x'], { fullResults: true, arrayMode: true });
  assert.equal(result.command, 'SELECT');
  assert.equal(result.rowCount, 1);
  assert.equal(result.rowAsArray, true);
  assert.deepEqual(result.rows, [[7, 'x']]);
  assert.deepEqual(result.fields.map((f) => f.name), ['a', 'b']);
  assert.deepEqual(result.fields.map((f) => f.dataTypeID), [23, 25]);

  const objects = await sql.query('SELECT 1 AS one', [], { fullResults: true });
  assert.equal(objects.rowAsArray, false);
  assert.deepEqual(objects.rows, [{ one: 1 }]);

  const plain = await sql.query('SELECT $1::text AS v', ['y']);
  assert.deepEqual(plain, [{ v: 'y' }]);
});

test('DML reports the command and a numeric rowCount', async () => {
  await sql`CREATE TABLE IF NOT EXISTS driver_dml (id int PRIMARY KEY, note text)`;
  await sql`DELETE FROM driver_dml`;
  const inserted = await sql.query('INSERT INTO driver_dml VALUES (1, $1), (2, $2)', ['a', 'b'], { fullResults: true });
  assert.equal(inserted.command, 'INSERT');
  assert.equal(inserted.rowCount, 2);
  const updated = await sql.query('UPDATE driver_dml SET note = $1', ['c'], { fullResults: true });
  assert.equal(updated.command, 'UPDATE');
  assert.equal(updated.rowCount, 2);
});

test('a transaction commits all its statements', async () => {
  await sql`CREATE TABLE IF NOT EXISTS driver_tx (id int PRIMARY KEY)`;
  await sql`DELETE FROM driver_tx`;
  const [insert, count] = await sql.transaction([
    sql`INSERT INTO driver_tx VALUES (${1}), (${2})`,
    sql`SELECT count(*)::int AS n FROM driver_tx`,
  ]);
  assert.deepEqual(insert, []);
  assert.deepEqual(count, [{ n: 2 }]);
  const full = await sql.transaction((txn) => [txn`SELECT 1 AS a`, txn`SELECT 2 AS b`], { fullResults: true });
  assert.deepEqual(full.map((r) => r.rows), [[{ a: 1 }], [{ b: 2 }]]);
});

test('a transaction rolls back when one statement fails', async () => {
  await sql`CREATE TABLE IF NOT EXISTS driver_rollback (id int PRIMARY KEY)`;
  await sql`DELETE FROM driver_rollback`;
  await assert.rejects(
    sql.transaction([sql`INSERT INTO driver_rollback VALUES (1)`, sql`INSERT INTO driver_rollback VALUES (1)`]),
    (err) => err instanceof NeonDbError && err.code === '23505' && err.constraint === 'driver_rollback_pkey',
  );
  assert.deepEqual(await sql`SELECT count(*)::int AS n FROM driver_rollback`, [{ n: 0 }]);
});

test('transaction options: isolation level, read-only, deferrable', async () => {
  const settings = (txn) => [txn`SELECT current_setting('transaction_isolation') AS isolation,
      current_setting('transaction_read_only') AS read_only,
      current_setting('transaction_deferrable') AS deferrable`];
  const [[serializable]] = await sql.transaction(settings, { isolationLevel: 'Serializable', readOnly: true, deferrable: true });
  assert.deepEqual(serializable, { isolation: 'serializable', read_only: 'on', deferrable: 'on' });
  const [[repeatable]] = await sql.transaction(settings, { isolationLevel: 'RepeatableRead', readOnly: false });
  assert.deepEqual(repeatable, { isolation: 'repeatable read', read_only: 'off', deferrable: 'off' });
  const [[byDefault]] = await sql.transaction(settings);
  assert.deepEqual(byDefault, { isolation: 'read committed', read_only: 'off', deferrable: 'off' });

  await sql`CREATE TABLE IF NOT EXISTS driver_ro (id int)`;
  await assert.rejects(
    sql.transaction([sql`INSERT INTO driver_ro VALUES (1)`], { readOnly: true }),
    (err) => err instanceof NeonDbError && err.code === '25006',
  );
});

test('types round-trip through the driver\'s parsers', async () => {
  const when = new Date('2024-02-29T12:34:56.789Z');
  const [row] = await sql`SELECT
      ${'9007199254740993'}::int8 AS big,
      ${'12345678901234567890.123456789'}::numeric AS exact,
      ${{ a: [1, 'two', null], b: { c: true } }}::jsonb AS doc,
      ${when}::timestamptz AS at,
      '2024-02-29'::date AS day,
      ${Buffer.from([0, 1, 254, 255])}::bytea AS bytes,
      ARRAY[1, 2, 3]::int4[] AS ints,
      ARRAY['a', 'b c', NULL]::text[] AS texts,
      NULL::int AS missing,
      ${true}::bool AS yes,
      false AS no,
      1.5::float8 AS half,
      ${[4, 5, 6]}::int4[] AS int_param,
      ${['x', 'y "z"']}::text[] AS text_param,
      ${new Date(2024, 1, 29)}::date AS day_param`;
  assert.equal(row.big, '9007199254740993');
  assert.equal(row.exact, '12345678901234567890.123456789');
  assert.deepEqual(row.doc, { a: [1, 'two', null], b: { c: true } });
  assert.ok(row.at instanceof Date);
  assert.equal(row.at.toISOString(), when.toISOString());
  assert.ok(row.day instanceof Date);
  assert.equal(row.day.getFullYear(), 2024);
  assert.equal(row.day.getMonth(), 1);
  assert.equal(row.day.getDate(), 29);
  assert.ok(Buffer.isBuffer(row.bytes));
  assert.deepEqual([...row.bytes], [0, 1, 254, 255]);
  assert.deepEqual(row.ints, [1, 2, 3]);
  assert.deepEqual(row.texts, ['a', 'b c', null]);
  assert.equal(row.missing, null);
  assert.equal(row.yes, true);
  assert.equal(row.no, false);
  assert.equal(row.half, 1.5);
  assert.deepEqual(row.int_param, [4, 5, 6]);
  assert.deepEqual(row.text_param, ['x', 'y "z"']);
  assert.equal(row.day_param.getTime(), new Date(2024, 1, 29).getTime());
});

test('a SQL error surfaces as NeonDbError with SQLSTATE and position', async () => {
  await assert.rejects(sql`SELECT * FROM no_such_table`, (err) => {
    assert.ok(err instanceof NeonDbError);
    assert.equal(err.code, '42P01');
    assert.equal(err.position, '15');
    assert.equal(err.severity, 'ERROR');
    assert.match(err.message, /relation "no_such_table" does not exist/);
    return true;
  });
});

test('a statement timeout is a NeonDbError with SQLSTATE 57014', async () => {
  await assert.rejects(sql`SELECT pg_sleep(5)`, (err) => err instanceof NeonDbError && err.code === '57014');
});

test('a wrong password is rejected as PostgreSQL rejects it', async () => {
  const wrong = neon(`postgresql://${tenant}:not-the-token@${host}:${port}/${tenant}`);
  await assert.rejects(wrong`SELECT 1`, (err) => {
    assert.ok(err instanceof NeonDbError);
    assert.equal(err.code, '28P01');
    assert.equal(err.message, `password authentication failed for user "${tenant}"`);
    return true;
  });
});

test('the authToken option authenticates as Authorization: Bearer', async () => {
  const bearer = neon(`postgresql://${tenant}@${host}:${port}/${tenant}`, { authToken: async () => token });
  assert.deepEqual(await bearer`SELECT 'ok' AS status`, [{ status: 'ok' }]);
  assert.ok(connectionString.includes(token));
});
