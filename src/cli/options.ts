import { InvalidArgumentError } from 'commander';

/** Parses a TCP port option (1-65535) or throws commander's usage error. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw new InvalidArgumentError('must be a port number from 1 to 65535');
  return port;
}
