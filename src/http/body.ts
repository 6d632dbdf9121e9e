/** Reads a JSON request body with a byte limit, before anything parses it. */
import type { IncomingMessage } from 'node:http';

/** The body was longer than the limit. */
export class BodyTooLarge extends Error {}

/**
 * Reads and parses the body. Throws `BodyTooLarge` past `maxBytes` (checked against
 * Content-Length first, then while reading) and `SyntaxError` for invalid JSON.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    throw new BodyTooLarge(`request body larger than ${maxBytes} bytes refused`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      req.resume();
      throw new BodyTooLarge(`request body larger than ${maxBytes} bytes refused`);
    }
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}
