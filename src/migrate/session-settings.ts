import { type Kysely, sql } from 'kysely';

/**
 * Runs `fn` with session-level settings on `session` (one connection: the runner's), putting each
 * back as it was afterwards, also when `fn` throws (on a direct connection the session carries the
 * pool's statement timeout). Reading and setting is one statement, restoring another. A custom
 * setting the session never had is put back as ''.
 */
export async function withSessionSettings<DB, T>(session: Kysely<DB>, settings: Readonly<Record<string, string>>, fn: () => Promise<T>): Promise<T> {
  const names = Object.keys(settings);
  const { rows } = await sql<Record<string, string>>`SELECT ${sql.join(
    names.map((name, i) => sql`coalesce(current_setting(${name}, true), '') AS ${sql.ref(`was${i}`)}, set_config(${name}, ${settings[name]}, false)`),
  )}`.execute(session);
  const was = rows[0] ?? {};
  try {
    return await fn();
  } finally {
    await sql`SELECT ${sql.join(names.map((name, i) => sql`set_config(${name}, ${was[`was${i}`] ?? ''}, false)`))}`.execute(session);
  }
}
