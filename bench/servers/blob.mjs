// The `blob` tool's deterministic payload, shared by the echo server and the checks in bench/run.mjs.
const PATTERN = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_'; // 64 ASCII bytes
const cache = new Map();

/** A string of exactly `bytes` ASCII characters repeating PATTERN; cached per size. */
export function blobOf(bytes) {
  let text = cache.get(bytes);
  if (text === undefined) {
    text = PATTERN.repeat(Math.ceil(bytes / PATTERN.length)).slice(0, bytes);
    cache.set(bytes, text);
  }
  return text;
}
