/** What a report shows, as data: the shapes `ReportAggregator` produces and `renderReport` draws. */
import type { Outcome } from '../log/lines.js';
import type { Period } from './period.js';

/** Decisions counted by kind. */
export interface DecisionCounts {
  allow: number;
  deny: number;
  challenge: number;
}

/** Counts for one key (a tool or a principal); `total` is the sum of `counts`. */
export interface CountedRow {
  readonly counts: DecisionCounts;
  readonly total: number;
}

/** One `server/tool`. */
export interface ToolRow extends CountedRow {
  readonly server: string;
  readonly tool: string;
}

/** One principal. */
export interface PrincipalRow extends CountedRow {
  readonly principal: string;
}

/** Rows sorted by total (most first), and what did not fit the key limit, summed. */
export interface Ranked<R> {
  readonly rows: readonly R[];
  /** Decisions of keys first seen after the key limit was reached; absent when none. */
  readonly other?: CountedRow;
}

/** Denials that share their rules and reason. */
export interface DenialGroup {
  readonly rules: readonly string[];
  /** The reasons, joined with `; `; for a person's refusal a fixed text (their reasons name the approval id). */
  readonly reason: string;
  /** True when a person refused the call (an approval was denied). */
  readonly byPerson: boolean;
  readonly count: number;
  /** ISO time of the latest. */
  readonly last: string;
}

/** One decision as the report lists it (recent denials, recent approvals). */
export interface DecisionEvent {
  /** 1-based line in the log. */
  readonly line: number;
  readonly time: string;
  readonly principal: string;
  readonly server: string;
  readonly tool: string;
  readonly decision: 'allow' | 'deny' | 'challenge';
  readonly rules: readonly string[];
  readonly reasons: readonly string[];
  readonly approval?: string;
  /** One-line preview of the (already redacted) arguments, at most 80 characters. */
  readonly args: string;
}

/** How a decision with an approval id ended. */
export type ApprovalStatus = 'forwarded' | 'refused' | 'waiting';

/** Decisions that carry an approval id, by how they ended. */
export interface ApprovalSummary {
  /** A person approved and the call was forwarded (a receipt was signed). */
  readonly forwarded: number;
  /** A person denied the call. */
  readonly refused: number;
  /** Challenged; nobody had approved yet, so the client was told the approval id. */
  readonly waiting: number;
  /** The latest, oldest first. */
  readonly recent: ReadonlyArray<DecisionEvent & { readonly status: ApprovalStatus }>;
}

/** Forwarded calls by outcome; `none` is a forwarded call with no outcome line (still running, or the gateway stopped). */
export type OutcomeCounts = Record<Outcome | 'none', number>;

/** Latency of forwarded calls with an outcome (call received to upstream answer), in milliseconds, each within 0.5%. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Everything the report shows about the decisions of its period. */
export interface ReportData {
  readonly period: Period;
  readonly total: number;
  readonly decisions: DecisionCounts;
  /** One entry per bucket of `period`. */
  readonly overTime: readonly DecisionCounts[];
  readonly tools: Ranked<ToolRow>;
  readonly principals: Ranked<PrincipalRow>;
  readonly denials: {
    readonly groups: readonly DenialGroup[];
    /** Denials whose rules+reason were first seen after the group limit was reached. */
    readonly other: number;
    /** The latest, oldest first. */
    readonly recent: readonly DecisionEvent[];
  };
  readonly approvals: ApprovalSummary;
  /** Decisions whose call was forwarded (a receipt was signed). */
  readonly forwarded: number;
  readonly outcomes: OutcomeCounts;
  readonly latency: LatencySummary | null;
  /** ISO times of the first and last decision counted; null when none. */
  readonly first: string | null;
  readonly last: string | null;
}
