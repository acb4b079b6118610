// The baseline for the service's memory in bench/blobs.ts: bare Node (node:http, no framework,
// no database, no hashing) streaming an upload to a file (fsynced) and the file back, on the port
// given. Prints "listening on <url>" when ready. Plain JavaScript so no compiler is loaded.
import { createReadStream, createWriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

const [port, dir] = process.argv.slice(2);
const file = join(dir, 'raw-upload');

const server = createServer(async (req, res) => {
  try {
    if (req.method === 'POST') {
      await pipeline(req, createWriteStream(file));
      const handle = await open(file, 'r+');
      await handle.sync();
      await handle.close();
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ size: (await stat(file)).size }));
    } else {
      res.writeHead(200, { 'content-length': String((await stat(file)).size) });
      await pipeline(createReadStream(file, { highWaterMark: 256 * 1024 }), res);
    }
  } catch (err) {
    res.destroy(err);
  }
});
server.listen(Number(port), '127.0.0.1', () => process.stderr.write(`listening on http://127.0.0.1:${port}\n`));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
