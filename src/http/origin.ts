/** DNS-rebinding defence: the Host and Origin of every HTTP request are checked. */
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLoopback } from '../net.js';

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * Returns a one-line reason to refuse the request, or undefined to let it in. Host must name the
 * listener (its configured host, or a loopback name when bound to loopback); Origin, when sent,
 * must be the listener itself or one of `allowed_origins`.
 */
export function checkOrigin(
  req: IncomingMessage,
  address: AddressInfo | null,
  listen: { readonly host: string; readonly allowed_origins: readonly string[] },
): string | undefined {
  const port = address?.port;
  const hosts = new Set<string>();
  for (const name of [listen.host, ...(isLoopback(listen.host) ? LOOPBACK_NAMES : [])]) {
    const shown = name.includes(':') && !name.startsWith('[') ? `[${name}]` : name;
    hosts.add(shown.toLowerCase());
    if (port !== undefined) hosts.add(`${shown}:${port}`.toLowerCase());
  }
  const host = (req.headers.host ?? '').toLowerCase();
  if (!hosts.has(host)) return `forbidden: Host ${JSON.stringify(req.headers.host ?? '')} is not this gateway`;
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  const allowed = new Set(listen.allowed_origins.map((o) => o.toLowerCase().replace(/\/$/, '')));
  for (const h of hosts) allowed.add(`http://${h}`);
  if (!allowed.has(origin.toLowerCase())) return `forbidden: Origin ${JSON.stringify(origin)} is not allowed`;
  return undefined;
}
