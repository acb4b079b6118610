import net from 'node:net';

/** A TCP proxy in front of PostgreSQL that can lose a reply: the statement reaches the server and runs, the client's connection breaks. */
export interface LossyProxy {
  /** `url` with the proxy's host and port. */
  readonly url: string;
  /**
   * Arms the proxy: the next client message whose text matches `pattern` is forwarded, and as soon
   * as the server answers it, both sides of that connection are closed without relaying the answer
   * (an ambiguous commit: the server committed, the client saw the connection drop).
   */
  loseNextReplyTo(pattern: RegExp): void;
  /** Answers the next `count` new connections' startup as a full server does (FATAL 53300, too many clients) and closes them. */
  refuseNextConnections(count: number): void;
  /** How many connections were refused so far. */
  readonly refused: number;
  /** How many replies were lost so far. */
  readonly lost: number;
  close(): Promise<void>;
}

/**
 * Starts a proxy on 127.0.0.1 in front of the server of `targetUrl`.
 *
 * @example
 * const proxy = await startLossyProxy(pg.url);
 * proxy.loseNextReplyTo(/^commit/i);
 */
/** The ErrorResponse PostgreSQL sends to a startup message when max_connections is reached. */
function tooManyClients(): Buffer {
  const fields = Buffer.from('SFATAL\0VFATAL\0C53300\0Msorry, too many clients already\0\0', 'latin1');
  const head = Buffer.alloc(5);
  head.write('E', 0, 'latin1');
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}

export async function startLossyProxy(targetUrl: string): Promise<LossyProxy> {
  const target = new URL(targetUrl);
  let armed: RegExp | undefined;
  let lost = 0;
  let toRefuse = 0;
  let refused = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (toRefuse > 0) {
      toRefuse--;
      sockets.add(client);
      client.once('data', () => {
        refused++;
        client.end(tooManyClients());
      });
      client.on('error', () => client.destroy());
      return;
    }
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    let swallowing = false;
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (armed?.test(chunk.toString('latin1'))) {
        armed = undefined;
        swallowing = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!swallowing) {
        client.write(chunk);
        return;
      }
      lost++;
      closeBoth();
    });
    client.on('error', closeBoth).on('close', closeBoth);
    upstream.on('error', closeBoth).on('close', closeBoth);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(address.port);
  return {
    url: url.toString(),
    loseNextReplyTo(pattern) {
      armed = pattern;
    },
    refuseNextConnections(count) {
      toRefuse = count;
    },
    get refused() {
      return refused;
    },
    get lost() {
      return lost;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
