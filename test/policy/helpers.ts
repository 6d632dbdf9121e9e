/** Test helpers for the policy engine: compile YAML text, build contexts, real temp folders. */
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseYamlWith } from '../../src/yaml.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { evaluate } from '../../src/policy/evaluate.js';
import { policyFileSchema } from '../../src/policy/schema.js';
import type { CompiledPolicy, Decision, EvalContext, ToolCall } from '../../src/policy/types.js';

/** Parses and compiles one policy given as YAML text (roots resolved lexically). */
export function compileText(text: string, baseDir = '/base', file = 'policy.yaml'): CompiledPolicy {
  const { value, located } = parseYamlWith(text, file, policyFileSchema, 'TG_POLICY_INVALID');
  return compilePolicy([{ file, value, lineOf: located.lineOf }], { baseDir });
}

/** A context with defaults: principal alice/[dev], session s1, a fixed clock, no paths or counts. */
export function ctxOf(over: Partial<EvalContext> = {}): EvalContext {
  return {
    principal: { id: 'alice', roles: ['dev'] },
    session: 's1',
    now: 1_700_000_000_000,
    paths: new Map(),
    rateCounts: new Map(),
    ...over,
  };
}

/** Evaluates `server/tool` with `args`; `paths` given as a plain object. */
export function decide(
  compiled: CompiledPolicy,
  tool: string,
  args: Record<string, unknown> = {},
  over: Partial<EvalContext> = {},
): Decision {
  const [server = '', name = ''] = tool.split('/');
  const call: ToolCall = { server, tool: name, args };
  return evaluate(compiled, call, ctxOf(over));
}

/** A fresh real temp folder (realpath'd: macOS /tmp is a symlink) and its cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'toolgate-policy-')));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
