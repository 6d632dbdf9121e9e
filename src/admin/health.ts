/** What GET /healthz answers, pure: whether the gateway can serve calls, and each upstream's state. */

/** The /healthz body. */
export interface Health {
  /** `ok`; `degraded` when an upstream is down (its tools fail, others work); `failing` when decisions cannot be logged (every call is refused). */
  readonly status: 'ok' | 'degraded' | 'failing';
  readonly upstreams: Readonly<Record<string, 'up' | 'down'>>;
  /** `failing` after a decision line could not be written, until one is. */
  readonly log: 'ok' | 'failing';
}

/**
 * The health of a gateway with these upstreams (`connected` are up) and log state, and the HTTP
 * status to send: 503 only when the gateway refuses every call (the log cannot be written), so a
 * load balancer keeps a gateway whose one upstream is down.
 */
export function healthOf(upstreams: readonly string[], connected: readonly string[], logWritable: boolean): { httpStatus: number; body: Health } {
  const up = new Set(connected);
  const states: Record<string, 'up' | 'down'> = {};
  for (const name of upstreams) states[name] = up.has(name) ? 'up' : 'down';
  const status = !logWritable ? 'failing' : Object.values(states).includes('down') ? 'degraded' : 'ok';
  return { httpStatus: status === 'failing' ? 503 : 200, body: { status, upstreams: states, log: logWritable ? 'ok' : 'failing' } };
}
