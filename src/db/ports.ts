import { createServer } from 'node:net';

/**
 * Resolves true when nothing listens on host:port (it briefly binds the port to find out).
 *
 * @example
 * if (!(await isPortFree(3000))) console.error('port 3000 is taken');
 */
export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return (await listenProblem(port, host)) === undefined;
}

/**
 * Why nothing could listen on host:port right now, as the system's error code (`EADDRINUSE`,
 * `EADDRNOTAVAIL` for an address of another machine, `ENOTFOUND` for an unknown name, `EACCES`),
 * or undefined when it could (it briefly binds the port to find out).
 *
 * @example
 * if ((await listenProblem(3000, '0.0.0.0')) === 'EADDRINUSE') console.error('port 3000 is taken');
 */
export function listenProblem(port: number, host = '127.0.0.1'): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'EADDRINUSE'));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}

/**
 * Asks the operating system for a port that is free right now.
 *
 * @example
 * const port = await freePort();
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ port: 0, host, exclusive: true }, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
