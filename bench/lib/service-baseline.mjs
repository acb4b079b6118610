// The baseline of bench/service.ts: what a team writes by hand for the catalog's three requests, a
// minimal Fastify app with Fastify's default logger (pino at info, two lines per request, to
// stdout) and a `pg` pool of the same size as strata's default (10), one statement per request, no
// auth, no metrics, no transactions. Same database and rows as strata's service. Prints
// "listening on <url>" on stderr when ready. Plain JavaScript so no compiler is loaded.
import Fastify from 'fastify';
import pg from 'pg';

const [port, url] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString: url, max: 10 });
const COLUMNS = 'id, sku, name, description, price, currency, stock, tags, created_at, updated_at, version';

const app = Fastify({ logger: true });

app.get('/products/:id', async (request, reply) => {
  const { rows } = await pool.query(`SELECT ${COLUMNS} FROM products WHERE id = $1`, [request.params.id]);
  if (rows.length === 0) return reply.code(404).send({ error: 'not found' });
  reply.header('etag', `"${rows[0].version}"`);
  return rows[0];
});

app.get('/products', async (request) => {
  const limit = Math.min(Number(request.query.limit ?? 20) || 20, 100);
  const { rows } = await pool.query(`SELECT ${COLUMNS} FROM products ORDER BY id LIMIT $1`, [limit]);
  return { items: rows, next_cursor: rows.length === limit ? rows[rows.length - 1].id : null };
});

app.patch('/products/:id', async (request, reply) => {
  const match = /^"(\d+)"$/.exec(request.headers['if-match'] ?? '');
  if (!match) return reply.code(428).send({ error: 'If-Match required' });
  const { rows } = await pool.query(`UPDATE products SET stock = $2 WHERE id = $1 AND version = $3 RETURNING ${COLUMNS}`, [
    request.params.id,
    request.body.stock,
    Number(match[1]),
  ]);
  if (rows.length === 0) return reply.code(412).send({ error: 'version mismatch' });
  reply.header('etag', `"${rows[0].version}"`);
  return rows[0];
});

await app.listen({ port: Number(port), host: '127.0.0.1' });
process.stderr.write(`listening on http://127.0.0.1:${port}\n`);
process.once('SIGTERM', () =>
  app
    .close()
    .then(() => pool.end())
    .then(() => process.exit(0)),
);
