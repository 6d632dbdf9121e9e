/** The policy engine's vocabulary: calls, contexts, decisions, compiled policies. */

/** What a rule does when it matches. */
export type Effect = 'allow' | 'deny' | 'challenge';

/** Who is calling. */
export interface Principal {
  readonly id: string;
  readonly roles: readonly string[];
}

/** One tools/call, named by the upstream and the upstream's own tool name. */
export interface ToolCall {
  readonly server: string;
  readonly tool: string;
  readonly args: Readonly<Record<string, unknown>>;
}

/**
 * A path argument after the edge resolved it: `..` removed, symlinks followed (for the
 * longest existing prefix), relative paths taken against the config folder.
 * `null` when the argument is absent or not a string.
 */
export type ResolvedPaths = ReadonlyMap<string, string | null>;

/** Everything `evaluate` needs beyond the call; gathered at the edge, no I/O inside. */
export interface EvalContext {
  readonly principal: Principal;
  readonly session: string;
  /** Milliseconds since the epoch. */
  readonly now: number;
  /** Argument paths (`args.path`) resolved by the edge; see `CompiledPolicy.pathArgs`. */
  readonly paths: ResolvedPaths;
  /**
   * Calls already counted in each rate window, by `RateCheck.key`. Missing means 0.
   * Filled by the edge from `rateChecks(compiled, call, ctx)` before evaluate.
   */
  readonly rateCounts: ReadonlyMap<string, number>;
}

/** One rule that matched, with its reason. */
export interface MatchedRule {
  readonly id: string;
  readonly effect: Effect;
  readonly reason?: string;
}

/** The engine's answer. Deny is a value, never a throw. */
export interface Decision {
  readonly decision: Effect;
  /** Ids of the rules that decided (those with the winning effect), in file order. */
  readonly rules: readonly string[];
  /** Human-readable reasons, one per deciding rule (or the default's). */
  readonly reasons: readonly string[];
  /** Every rule whose conditions all held, whatever its effect. */
  readonly matched: readonly MatchedRule[];
  /** Hash of the loaded policy (`policy` claim). */
  readonly policy: string;
  /** Rate windows to charge when the call goes ahead (allow, or challenge approved). */
  readonly charge: readonly RateCheck[];
}

/** One rate-limit window a call falls into. */
export interface RateCheck {
  /** Stable key: rule id, `by` value, window start. */
  readonly key: string;
  readonly max: number;
  /** Window length in milliseconds. */
  readonly windowMs: number;
}
