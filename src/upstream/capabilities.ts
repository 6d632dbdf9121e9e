/** What toolgate declares to upstreams, what it declares to clients (their union), and log levels and names across upstreams. Pure. */
import type { ClientCapabilities, LoggingLevel, LoggingMessageNotification, ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';

/**
 * What toolgate declares to every upstream. Upstreams connect before any client does, so the
 * client-side capabilities are always declared; a request for a client that did not declare
 * the capability is answered with an error by the gateway.
 */
export const UPSTREAM_CAPABILITIES: ClientCapabilities = {
  sampling: {},
  elicitation: { form: {}, url: {} },
  roots: { listChanged: true },
};

const LEVELS: readonly LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/** What the upstreams offer together: tools always; resources, prompts, completions and logging when any upstream has them. */
export function unionCapabilities(all: ReadonlyArray<ServerCapabilities | undefined>): ServerCapabilities {
  const caps: ServerCapabilities = { tools: { listChanged: true } };
  for (const c of all) {
    if (!c) continue;
    if (c.resources) caps.resources = { ...caps.resources, listChanged: true, ...(c.resources.subscribe || caps.resources?.subscribe ? { subscribe: true } : {}) };
    if (c.prompts) caps.prompts = { listChanged: true };
    if (c.completions) caps.completions = {};
    if (c.logging) caps.logging = {};
  }
  return caps;
}

/** The most verbose of the levels sessions asked for, or undefined when none did. */
export function mostVerbose(levels: ReadonlyMap<string, LoggingLevel>): LoggingLevel | undefined {
  let best: number | undefined;
  for (const level of levels.values()) {
    const at = LEVELS.indexOf(level);
    if (at !== -1 && (best === undefined || at < best)) best = at;
  }
  return best === undefined ? undefined : LEVELS[best];
}

/** With several upstreams, a log message's `logger` says whose it is: `<upstream>` or `<upstream>/<logger>`. */
export function loggerNamed(upstream: string, params: LoggingMessageNotification['params']): LoggingMessageNotification['params'] {
  return { ...params, logger: params.logger ? `${upstream}/${params.logger}` : upstream };
}
