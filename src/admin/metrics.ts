/** Prometheus metrics for /metrics: calls, decisions, latencies, upstream health, fed by the decision-log hooks. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Gateway } from '../gateway/gateway.js';
import type { StartOptions } from '../gateway/start.js';
import type { DecisionEntry } from '../log/decisions.js';
import type { Outcome } from '../log/lines.js';

/** The hooks `startGateway` takes (see StartOptions). */
export type LogHooks = Required<Pick<StartOptions, 'onDecision' | 'onOutcome' | 'onLogFailure'>>;

/** One gateway's metrics: hooks to feed them, the gateway to read gauges from, the text to serve. */
export interface AdminMetrics {
  /** Pass to `startGateway`; each hook only increments counters (no I/O) and never throws. */
  readonly hooks: LogHooks;
  /** Reads upstream health, pending approvals and log size from `gw` at each scrape. */
  attach(gw: Gateway): void;
  /** False after a decision line failed to be written and before the next one was written. */
  logWritable(): boolean;
  /** The Prometheus text exposition of every metric. */
  render(): Promise<string>;
  /** The Content-Type of `render`'s text. */
  readonly contentType: string;
}

/** Forwarded calls whose outcome has not come yet, kept to label the latency by server; beyond this the oldest are dropped. */
const MAX_IN_FLIGHT = 10_000;
/** Call durations from 1 ms to 60 s: a gateway hop is milliseconds, an upstream tool can take a minute. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** The label for tools no upstream offers: their names come from clients, so they would let anyone add series. */
export const UNKNOWN_TOOL_LABEL = '(unknown)';

/**
 * Creates the metrics in a registry of their own (several gateways in one process do not mix):
 * `toolgate_calls_total{server,tool,decision}`, `toolgate_decisions_total{decision}`,
 * `toolgate_call_duration_seconds{server,outcome}` (forwarded calls, from the outcome's
 * latency), `toolgate_upstream_up{upstream}`, `toolgate_approvals_pending`,
 * `toolgate_log_lines`, `toolgate_log_write_failures_total`, and Node's default process metrics.
 */
export function createMetrics(): AdminMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let gateway: Gateway | undefined;
  let writable = true;
  const inFlight = new Map<string, string>();

  const calls = new Counter({
    name: 'toolgate_calls_total',
    help: 'Tool calls decided, by upstream, tool and decision (unknown tools are counted as tool="(unknown)")',
    labelNames: ['server', 'tool', 'decision'] as const,
    registers: [registry],
  });
  const decisions = new Counter({
    name: 'toolgate_decisions_total',
    help: 'Decisions written to the decision log, by decision',
    labelNames: ['decision'] as const,
    registers: [registry],
  });
  for (const d of ['allow', 'deny', 'challenge']) decisions.inc({ decision: d }, 0);
  const duration = new Histogram({
    name: 'toolgate_call_duration_seconds',
    help: 'Time from a forwarded call reaching the gateway to its upstream answer, by upstream and outcome',
    labelNames: ['server', 'outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const logFailures = new Counter({
    name: 'toolgate_log_write_failures_total',
    help: 'Decision lines that could not be written (each such call was refused)',
    registers: [registry],
  });
  new Gauge({
    name: 'toolgate_upstream_up',
    help: '1 when the upstream is connected, 0 when it is down',
    labelNames: ['upstream'] as const,
    registers: [registry],
    collect() {
      if (!gateway) return;
      const up = new Set(gateway.pool.connected());
      for (const name of Object.keys(gateway.config.upstreams)) this.set({ upstream: name }, up.has(name) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'toolgate_approvals_pending',
    help: 'Challenged calls waiting for a person',
    registers: [registry],
    async collect() {
      if (!gateway) return;
      const pending = await gateway.state.approvals.listPending(gateway.now()).catch(() => undefined);
      if (pending) this.set(pending.length);
    },
  });
  new Gauge({
    name: 'toolgate_log_lines',
    help: 'Lines in the decision log file',
    registers: [registry],
    collect() {
      if (gateway) this.set(gateway.log.stats().lines);
    },
  });

  const onDecision = (entry: DecisionEntry): void => {
    try {
      writable = true;
      const tool = entry.server === '' ? UNKNOWN_TOOL_LABEL : entry.tool;
      calls.inc({ server: entry.server, tool, decision: entry.decision });
      decisions.inc({ decision: entry.decision });
      if (entry.receipt !== null) {
        if (inFlight.size >= MAX_IN_FLIGHT) inFlight.delete(inFlight.keys().next().value as string);
        inFlight.set(entry.id, entry.server);
      }
    } catch {
      // Metrics never stand in the way of a call.
    }
  };
  const onOutcome = (id: string, o: { outcome: Outcome; latency_ms: number }): void => {
    try {
      const server = inFlight.get(id);
      if (server === undefined) return;
      inFlight.delete(id);
      duration.observe({ server, outcome: o.outcome }, o.latency_ms / 1000);
    } catch {
      // as above
    }
  };
  const onLogFailure = (): void => {
    writable = false;
    logFailures.inc();
  };

  return {
    hooks: { onDecision, onOutcome, onLogFailure },
    attach: (gw) => {
      gateway = gw;
    },
    logWritable: () => writable,
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
