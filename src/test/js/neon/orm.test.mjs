import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drizzle } from 'drizzle-orm/neon-http';
import { pgTable, integer, text, timestamp } from 'drizzle-orm/pg-core';
import { eq } from 'drizzle-orm';
import { Kysely } from 'kysely';
import { NeonDialect } from 'kysely-neon';
import { sql } from './env.mjs';

const notes = pgTable('orm_notes', {
  id: integer('id').primaryKey(),
  body: text('body').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).defaultNow().notNull(),
});

test('Drizzle neon-http: insert, select, update', async () => {
  await sql`CREATE TABLE IF NOT EXISTS orm_notes (id int PRIMARY KEY, body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now())`;
  await sql`DELETE FROM orm_notes`;
  const db = drizzle({ client: sql });
  const inserted = await db.insert(notes).values([{ id: 1, body: 'first' }, { id: 2, body: 'second' }]).returning();
  assert.deepEqual(inserted.map((n) => n.body), ['first', 'second']);
  assert.ok(inserted[0].createdAt instanceof Date);
  const found = await db.select().from(notes).where(eq(notes.id, 2));
  assert.equal(found.length, 1);
  assert.equal(found[0].body, 'second');
  await db.update(notes).set({ body: 'changed' }).where(eq(notes.id, 1));
  const [changed] = await db.select({ body: notes.body }).from(notes).where(eq(notes.id, 1));
  assert.equal(changed.body, 'changed');
  const [a, b] = await db.batch([db.select().from(notes).where(eq(notes.id, 1)), db.select().from(notes)]);
  assert.equal(a.length, 1);
  assert.equal(b.length, 2);
});

test('Kysely with kysely-neon: insert, select, affected rows', async () => {
  await sql`CREATE TABLE IF NOT EXISTS kysely_pets (id int PRIMARY KEY, name text NOT NULL)`;
  await sql`DELETE FROM kysely_pets`;
  const db = new Kysely({ dialect: new NeonDialect({ neon: sql }) });
  const insert = await db.insertInto('kysely_pets').values([{ id: 1, name: 'Rex' }, { id: 2, name: 'Tom' }]).executeTakeFirst();
  assert.equal(insert.numInsertedOrUpdatedRows, 2n);
  const pets = await db.selectFrom('kysely_pets').select(['id', 'name']).orderBy('id').execute();
  assert.deepEqual(pets, [{ id: 1, name: 'Rex' }, { id: 2, name: 'Tom' }]);
  const removed = await db.deleteFrom('kysely_pets').where('id', '=', 2).executeTakeFirst();
  assert.equal(removed.numDeletedRows, 1n);
});
