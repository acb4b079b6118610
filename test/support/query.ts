import pg from 'pg';

/** Runs one statement on its own connection (as psql would) and returns its rows. */
export async function queryRows(url: string, text: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}
