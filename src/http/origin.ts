/** DNS-rebinding defence: the Host and Origin of every HTTP request are checked. */
import type { IncomingMessage } from 'node:http';
import { isLoopback } from '../net.js';

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** Checks one request; returns a one-line reason to refuse it, or undefined to let it in. */
export type OriginCheck = (req: IncomingMessage) => string | undefined;

/**
 * Builds the check for a listener bound to `port` (the sets are built once, not per request).
 * Host must name the listener (its configured host, or a loopback name when bound to loopback);
 * Origin, when sent, must be the listener itself or one of `allowed_origins`.
 */
export function originCheck(listen: { readonly host: string; readonly allowed_origins: readonly string[] }, port: number): OriginCheck {
  const hosts = new Set<string>();
  for (const name of [listen.host, ...(isLoopback(listen.host) ? LOOPBACK_NAMES : [])]) {
    const shown = name.includes(':') && !name.startsWith('[') ? `[${name}]` : name;
    hosts.add(shown.toLowerCase());
    hosts.add(`${shown}:${port}`.toLowerCase());
  }
  const allowed = new Set(listen.allowed_origins.map((o) => o.toLowerCase().replace(/\/$/, '')));
  for (const h of hosts) allowed.add(`http://${h}`);
  return (req) => {
    const host = (req.headers.host ?? '').toLowerCase();
    if (!hosts.has(host)) return `forbidden: Host ${JSON.stringify(req.headers.host ?? '')} is not this gateway`;
    const origin = req.headers.origin;
    if (origin === undefined) return undefined;
    if (!allowed.has(origin.toLowerCase())) return `forbidden: Origin ${JSON.stringify(origin)} is not allowed`;
    return undefined;
  };
}
