import { InvalidArgumentError } from 'commander';

/** Parses a TCP port option (1-65535) or throws commander's usage error. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw new InvalidArgumentError('must be a port number from 1 to 65535');
  return port;
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration such as `30d`, `12h`, `15m`, `10s` or `500ms` into milliseconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value.trim());
  if (!match?.[1] || !match[2]) throw new InvalidArgumentError('must be a duration such as 30d, 12h, 15m or 10s');
  return Number(match[1]) * (UNITS[match[2]] ?? 1);
}

/** Parses a whole number option of 0 or more. */
export function parseNonNegative(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number of at least 0');
  return Number(value);
}

/** Parses a number option (fractions allowed) of 0 or more. */
export function parseNonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(n)) throw new InvalidArgumentError('must be a number of at least 0, such as 1 or 0.5');
  return n;
}

/** Parses a positive whole number option. */
export function parsePositive(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}
