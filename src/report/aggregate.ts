/** One pass over review items → the report's numbers: over time, by tool, by principal, denials, approvals, outcomes. */
import { previewArgs } from '../approvals/preview.js';
import type { DecisionLine, Outcome } from '../log/lines.js';
import type { ReviewItem } from '../log/review.js';
import { LatencySketch } from './latency.js';
import { bucketOf, type Period } from './period.js';
import { Tally } from './tally.js';
import type { ApprovalStatus, CountedRow, DecisionCounts, DecisionEvent, OutcomeCounts, Ranked, ReportData } from './types.js';

/** Key limits: beyond them, new keys are summed as "other" so memory stays bounded. */
export interface AggregateLimits {
  readonly tools: number;
  readonly principals: number;
  readonly denialGroups: number;
  /** Length of the recent-denials and recent-approvals lists. */
  readonly recent: number;
}

/** The default limits. */
export const DEFAULT_LIMITS: AggregateLimits = { tools: 10_000, principals: 10_000, denialGroups: 1_000, recent: 20 };

const REFUSED_BY_PERSON = 'a person denied the call';

interface MutableRow {
  readonly key: string;
  readonly counts: DecisionCounts;
}

interface MutableGroup {
  rules: readonly string[];
  reason: string;
  byPerson: boolean;
  count: number;
  last: string;
}

interface Kept {
  readonly line: number;
  readonly record: DecisionLine;
}

/**
 * Counts review items (decisions already joined with their outcomes, as `OutcomeJoiner` hands
 * them out) in one pass and constant memory per distinct key: feed it with `add`, then `result`.
 * The caller filters by period (`ReviewFilter.since`); later decisions count in the last bucket.
 */
export class ReportAggregator {
  private readonly period: Period;
  private readonly limits: AggregateLimits;
  private readonly decisions = zero();
  private readonly overTime: DecisionCounts[];
  private readonly tools: Tally<MutableRow>;
  private readonly principals: Tally<MutableRow>;
  private readonly denials: Tally<MutableGroup>;
  private readonly recentDenials: Kept[] = [];
  private readonly recentApprovals: Array<Kept & { status: ApprovalStatus }> = [];
  private readonly approvals = { forwarded: 0, refused: 0, waiting: 0 };
  private readonly outcomes: OutcomeCounts = { ok: 0, error: 0, 'tool-error': 0, 'upstream-unavailable': 0, none: 0 };
  private readonly latency = new LatencySketch();
  private total = 0;
  private forwarded = 0;
  private first: string | null = null;
  private last: string | null = null;

  constructor(period: Period, limits: AggregateLimits = DEFAULT_LIMITS) {
    this.period = period;
    this.limits = limits;
    this.overTime = Array.from({ length: period.buckets }, zero);
    const row = (key: string): MutableRow => ({ key, counts: zero() });
    this.tools = new Tally(limits.tools, row);
    this.principals = new Tally(limits.principals, row);
    this.denials = new Tally(limits.denialGroups, () => ({ rules: [], reason: '', byPerson: false, count: 0, last: '' }));
  }

  /** Counts one item: a decision, or the late outcome of a decision counted before. Recovery items are ignored. */
  add(item: ReviewItem): void {
    if (item.kind === 'decision') this.addDecision(item.line, item.record);
    else if (item.kind === 'outcome') {
      // Its decision was counted as forwarded without an outcome.
      this.outcomes.none = Math.max(0, this.outcomes.none - 1);
      this.addOutcome(item.record.outcome, item.record.latency_ms);
    }
  }

  private addDecision(line: number, d: DecisionLine): void {
    const kind = d.decision;
    this.total++;
    this.decisions[kind]++;
    this.first ??= d.time;
    this.last = d.time;
    (this.overTime[bucketOf(this.period, Date.parse(d.time))] as DecisionCounts)[kind]++;
    this.tools.at(`${d.server}\n${d.tool}`).counts[kind]++;
    this.principals.at(d.principal).counts[kind]++;

    if (d.receipt !== null) {
      this.forwarded++;
      if (d.outcome === null) this.outcomes.none++;
      else this.addOutcome(d.outcome, d.latency_ms);
    }
    if (kind === 'deny') this.addDenial(line, d);
    if (d.approval !== undefined) {
      const status: ApprovalStatus = d.receipt !== null ? 'forwarded' : kind === 'deny' ? 'refused' : 'waiting';
      this.approvals[status]++;
      keep(this.recentApprovals, { line, record: d, status }, this.limits.recent);
    }
  }

  private addDenial(line: number, d: DecisionLine): void {
    const byPerson = d.approval !== undefined;
    const reason = byPerson ? REFUSED_BY_PERSON : d.reasons.join('; ');
    const group = this.denials.at(`${d.rules.join('\n')}\u0000${reason}`);
    if (group.count === 0) {
      group.rules = d.rules;
      group.reason = reason;
      group.byPerson = byPerson;
    }
    group.count++;
    group.last = d.time;
    keep(this.recentDenials, { line, record: d }, this.limits.recent);
  }

  private addOutcome(outcome: Outcome, latencyMs: number | null): void {
    this.outcomes[outcome]++;
    if (latencyMs !== null) this.latency.add(latencyMs);
  }

  /** The numbers so far; rows sorted by count, most first (ties by name). */
  result(): ReportData {
    const l = this.latency;
    return {
      period: this.period,
      total: this.total,
      decisions: { ...this.decisions },
      overTime: this.overTime.map((c) => ({ ...c })),
      tools: ranked(this.tools, (key, counts) => {
        const cut = key.indexOf('\n');
        return { server: key.slice(0, cut), tool: key.slice(cut + 1), counts, total: sum(counts) };
      }),
      principals: ranked(this.principals, (principal, counts) => ({ principal, counts, total: sum(counts) })),
      denials: {
        groups: this.denials
          .kept()
          .map(([, g]) => ({ ...g }))
          .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
        other: this.denials.overflow?.count ?? 0,
        recent: this.recentDenials.map(event),
      },
      approvals: { ...this.approvals, recent: this.recentApprovals.map((k) => ({ ...event(k), status: k.status })) },
      forwarded: this.forwarded,
      outcomes: { ...this.outcomes },
      latency:
        l.count === 0
          ? null
          : { count: l.count, p50: l.percentile(50) as number, p90: l.percentile(90) as number, p99: l.percentile(99) as number, max: l.max },
      first: this.first,
      last: this.last,
    };
  }
}

function ranked<R extends CountedRow>(tally: Tally<MutableRow>, make: (key: string, counts: DecisionCounts) => R): Ranked<R> {
  const rows = tally
    .kept()
    .map(([key, row]) => ({ key, row: make(key, { ...row.counts }) }))
    .sort((a, b) => b.row.total - a.row.total || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => r.row);
  const over = tally.overflow;
  return over ? { rows, other: { counts: { ...over.counts }, total: sum(over.counts) } } : { rows };
}

function event(k: Kept): DecisionEvent {
  const d = k.record;
  return {
    line: k.line,
    time: d.time,
    principal: d.principal,
    server: d.server,
    tool: d.tool,
    decision: d.decision,
    rules: d.rules,
    reasons: d.reasons,
    ...(d.approval !== undefined ? { approval: d.approval } : {}),
    args: previewArgs(d.args),
  };
}

function keep<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.shift();
}

function zero(): DecisionCounts {
  return { allow: 0, deny: 0, challenge: 0 };
}

function sum(c: DecisionCounts): number {
  return c.allow + c.deny + c.challenge;
}
