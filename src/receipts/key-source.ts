/** Where verifiers find public keys: a JWKS object, a JWKS file, or an https URL (jose key sets). */
import { readFile, stat } from 'node:fs/promises';
import { isLoopback } from '../net.js';
import { createLocalJWKSet, createRemoteJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { ToolgateError } from '../errors.js';

/** A JWKS object (`{ keys: [...] }`), a path to a JWKS file, or an https URL serving one. */
export type JwksSource = JSONWebKeySet | string;

/** A jose key lookup: picks the public key for a token's header. */
export type KeyLookup = JWTVerifyGetKey;

/**
 * Turns a source into a key lookup. URLs must be https, or http on a loopback host; they are
 * fetched by jose (cached, refetched on an unknown `kid` at most every 30 s). A file is read now
 * and read again when a token names a `kid` it lacks and the file has changed since (rotation).
 * Throws `TG_FILE_NOT_FOUND` for an unreadable file, `TG_KEY_INVALID` for a malformed set,
 * `TG_USAGE` for a plain-http URL to another host.
 */
export async function keyLookup(source: JwksSource): Promise<KeyLookup> {
  if (typeof source !== 'string') return localSet(source, 'the JWKS');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) return remoteSet(source);
  return fileSet(source);
}

function localSet(jwks: unknown, name: string, file?: string): KeyLookup {
  try {
    return createLocalJWKSet(jwks as JSONWebKeySet);
  } catch (e) {
    throw new ToolgateError('TG_KEY_INVALID', `${name} is not a valid JWKS`, { cause: e, details: file ? { file } : {} });
  }
}

function remoteSet(text: string): KeyLookup {
  let url: URL;
  try {
    url = new URL(text);
  } catch (e) {
    throw new ToolgateError('TG_USAGE', 'the JWKS URL is not a valid URL', { cause: e });
  }
  const loopback = isLoopback(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ToolgateError('TG_USAGE', 'a JWKS URL must be https (plain http only on a loopback host)');
  }
  return createRemoteJWKSet(url);
}

async function fileSet(path: string): Promise<KeyLookup> {
  let loaded = await readSet(path);
  const lookup: KeyLookup = async (header, token) => {
    try {
      return await loaded.lookup(header, token);
    } catch (e) {
      if (!(e instanceof errors.JWKSNoMatchingKey)) throw e;
      // A rotated file may hold the key now; a missing or broken one leaves the old set in place.
      const version = await versionOf(path).catch(() => loaded.version);
      if (version === loaded.version) throw e;
      const reloaded = await readSet(path).catch(() => undefined);
      if (!reloaded) throw e;
      loaded = reloaded;
      return loaded.lookup(header, token);
    }
  };
  return lookup;
}

async function readSet(path: string): Promise<{ lookup: KeyLookup; version: string }> {
  let text: string;
  let version: string;
  try {
    version = await versionOf(path);
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ToolgateError('TG_FILE_NOT_FOUND', `cannot read JWKS file ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'error')}`, {
      cause: e,
      details: { file: path },
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ToolgateError('TG_KEY_INVALID', `JWKS file ${path} is not valid JSON`, { cause: e, details: { file: path } });
  }
  return { lookup: localSet(value, `JWKS file ${path}`, path), version };
}

// Rotation replaces the file by rename, so the inode changes even when mtime's resolution is coarse.
async function versionOf(path: string): Promise<string> {
  const s = await stat(path);
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}
