import { Readable, Transform } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from './problem.js';

function tooLarge(limit: number, headers?: Readonly<Record<string, string>>): HttpProblem {
  return new HttpProblem(413, 'PAYLOAD_TOO_LARGE', `the request body is limited to ${limit} bytes`, undefined, headers);
}

/**
 * For a route that reads its body as a stream (a content-type parser handed it the payload, as
 * for CSV imports): enforces the route's `bodyLimit` as the body is read (413 PAYLOAD_TOO_LARGE,
 * at once when Content-Length already says so). The connection's own stream is never destroyed
 * (the answer still has to go out on it); its errors reach the reader.
 */
export function limitStreamedBody(request: FastifyRequest): boolean {
  const body = request.body;
  if (!(body instanceof Readable)) return false;
  const limit = request.routeOptions.bodyLimit;
  if (Number(request.headers['content-length']) > limit) throw tooLarge(limit, { connection: 'close' });
  let bytes = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > limit) done(tooLarge(limit));
      else done(null, chunk);
    },
  });
  body.on('error', (err) => counted.destroy(err));
  counted.on('close', () => body.unpipe(counted));
  request.body = body.pipe(counted);
  return true;
}

/** An answer given before a streamed body was read to its end closes the connection (the rest of the upload is not read). */
export function closeIfUnread(request: FastifyRequest, reply: FastifyReply): void {
  if (!request.raw.complete) reply.header('connection', 'close');
}
