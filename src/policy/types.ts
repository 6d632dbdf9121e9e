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
  readonly charge: readonly RateWindow[];
}

/** One rate-limit window a call falls into. */
export interface RateCheck {
  /** Stable key: rule id, `by` value, window start. */
  readonly key: string;
  readonly max: number;
  /** Window length in milliseconds. */
  readonly windowMs: number;
}

/** The fields of one rate-limit window beyond its key, for the state store. */
export interface RateWindow extends RateCheck {
  /** The rule whose `rate` this window belongs to. */
  readonly rule: string;
  /** Window start, milliseconds since the epoch (fixed windows: `now - now % windowMs`). */
  readonly windowStart: number;
}

/** How one condition came out: held, failed, or met a value of the wrong type. */
export type ConditionOutcome = 'holds' | 'fails' | 'wrong-type';

/** What a compiled condition operator sees: the raw value, and for paths the resolved one. */
export interface OperandView {
  /** The value at the condition's key; `undefined` when absent. */
  readonly value: unknown;
  /** For `args.*` keys: the edge's resolution (`null` = unresolvable, `undefined` = not resolved). */
  readonly resolved: string | null | undefined;
}

/** One compiled operator of a condition object (`glob`, `max`, ...). */
export interface CompiledOperator {
  readonly op: string;
  /** What the operator expects, for reasons: `a string`, `a number`, ... */
  readonly expects: string;
  test(view: OperandView): ConditionOutcome;
}

/** One compiled `when` entry other than `rate`: a key and the operators that must all hold. */
export interface CompiledCondition {
  /** The key as written: `args.path`, `principal.id`, `principal.roles`. */
  readonly key: string;
  readonly source: 'args' | 'principal.id' | 'principal.roles';
  /** For `args.*`: the dotted path after `args.`, split. */
  readonly path: readonly string[];
  /** True when an operator works on paths (`under`, `glob`), so the edge must resolve it. */
  readonly isPath: boolean;
  /** `present: true|false`, handled apart because it is the one operator absence can satisfy. */
  readonly present?: boolean;
  readonly operators: readonly CompiledOperator[];
}

/** A compiled `rate: { max, per, by }`. */
export interface CompiledRate {
  readonly max: number;
  /** As written (`1h`), for reasons. */
  readonly per: string;
  readonly windowMs: number;
  readonly by: 'principal' | 'tool' | 'session' | 'args';
}

/** One rule after compile: matchers built once. */
export interface CompiledRule {
  readonly id: string;
  readonly effect: Effect;
  /** Position across all loaded files, for file order. */
  readonly order: number;
  readonly file: string;
  readonly server?: string;
  readonly tools: readonly string[];
  readonly reason?: string;
  readonly conditions: readonly CompiledCondition[];
  readonly rate?: CompiledRate;
  /** True when no condition looks at the arguments and there is no rate. */
  readonly argFree: boolean;
}

/** A loaded, frozen policy; build with `compilePolicy` (pure) or `loadPolicy` (reads files). */
export interface CompiledPolicy {
  /** Hex SHA-256 of the RFC 8785 canonical JSON of the parsed files (the `policy` claim). */
  readonly hash: string;
  /** The files it came from, in load order. */
  readonly files: readonly string[];
  /** The effect when no rule matches. */
  readonly default: Effect;
  /** Folder that relative paths (in conditions and in arguments) are taken against. */
  readonly baseDir: string;
  /** Every rule, in file order. */
  readonly rules: readonly CompiledRule[];
  /** The rules that could apply to (server, tool), in file order; memoised. */
  candidates(server: string, tool: string): readonly CompiledRule[];
  /** The argument keys (`args.path`) the edge must resolve for (server, tool). */
  pathArgs(server: string, tool: string): readonly string[];
}
