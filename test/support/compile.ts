import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, type RawBuilder } from 'kysely';

/** A Kysely instance that compiles PostgreSQL and never connects: for asserting rendered SQL without I/O. */
const offline = new Kysely<unknown>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/** The SQL text (whitespace runs collapsed) and parameters a builder compiles to. */
export function compiled(builder: RawBuilder<unknown>): { sql: string; parameters: readonly unknown[] } {
  const query = builder.compile(offline);
  return { sql: query.sql.replace(/\s+/g, ' ').trim(), parameters: query.parameters };
}
