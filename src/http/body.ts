/** Reads a JSON request body with a byte limit, before anything parses it. */
import type { IncomingMessage } from 'node:http';

/** The body was longer than the limit. */
export class BodyTooLarge extends Error {}

/**
 * Reads and parses the body. Rejects with `BodyTooLarge` past `maxBytes` (checked against
 * Content-Length first, then while reading) and `SyntaxError` for invalid JSON. Plain
 * `data`/`end` listeners: an async iterator costs a promise per chunk on every call.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.reject(new BodyTooLarge(`request body larger than ${maxBytes} bytes refused`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        refused = true;
        req.off('data', onData);
        req.resume();
        reject(new BodyTooLarge(`request body larger than ${maxBytes} bytes refused`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('error', reject);
    req.once('end', () => {
      if (refused) return;
      try {
        const text = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
        resolve(JSON.parse(text) as unknown);
      } catch (e) {
        reject(e);
      }
    });
  });
}
