/** `toolgate policy test FILE...`: runs YAML policy cases and prints a diff for each that fails. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { ToolgateError } from '../errors.js';
import { parseYamlWith } from '../yaml.js';
import { CASE_SESSION, DEFAULT_CASE_PRINCIPAL, caseCall, caseFileSchema, checkCase, type CaseOutcome, type PolicyCase } from '../policy/cases.js';
import { evaluate } from '../policy/evaluate.js';
import { displayPath, loadPolicy } from '../policy/load.js';
import { resolveCallPaths } from '../policy/paths.js';
import type { CompiledPolicy } from '../policy/types.js';
import { ExitWith, processIO, type CliIO } from './run.js';

/** Registers `policy test`; output goes to `io` (the process's own by default). */
export function register(program: Command, io: CliIO = processIO): void {
  const policy = program.command('policy').description('Work with policy files');
  policy
    .command('test')
    .description('Run policy test cases written in YAML (expected decision per call); exit 0 when all pass, 1 otherwise')
    .argument('<files...>', 'case files (policy: or config:, then cases:)')
    .action(async (files: string[]) => {
      const failed = await runPolicyTests(files, io);
      if (failed > 0) throw new ExitWith(1);
    });
}

/**
 * Runs every case in `files`, printing a diff per failing case and then `N passed, M failed`.
 * Returns the number of failed cases. Throws `TG_FILE_NOT_FOUND`, `TG_POLICY_TEST_INVALID`
 * (a bad case file) or `TG_POLICY_INVALID` / `TG_CONFIG_INVALID` (what it points at).
 */
export async function runPolicyTests(files: readonly string[], io: CliIO, now: number = Date.now()): Promise<number> {
  let passed = 0;
  let failed = 0;
  for (const file of files) {
    const { shown, cases, lineOf, compiled } = await loadCaseFile(file);
    for (const [i, c] of cases.entries()) {
      const call = caseCall(c);
      const paths = await resolveCallPaths(compiled, call);
      const decision = evaluate(compiled, call, {
        principal: c.principal ?? DEFAULT_CASE_PRINCIPAL,
        session: c.session ?? CASE_SESSION,
        now,
        paths,
        rateCounts: new Map(),
      });
      const outcome = checkCase(c, decision);
      if (outcome.pass) {
        passed++;
      } else {
        failed++;
        io.out(formatFailure(c, `${shown}:${lineOf(['cases', i])}`, outcome));
      }
    }
  }
  io.out(`${passed} passed, ${failed} failed`);
  return failed;
}

/** A failing case as a small diff: where it is, the call, expected (-) and actual (+), and why. */
export function formatFailure(c: PolicyCase, where: string, o: CaseOutcome): string {
  const withRules = (decision: string, ids: readonly string[] | undefined): string =>
    ids === undefined ? decision : `${decision} [${ids.join(', ')}]`;
  const args = JSON.stringify(c.args);
  return [
    `FAIL ${c.name} (${where})`,
    `    call      ${c.tool} ${args.length > 200 ? `${args.slice(0, 199)}…` : args}`,
    `  - expected  ${withRules(o.expected.decision, o.expected.rules)}`,
    `  + actual    ${withRules(o.actual.decision, o.expected.rules === undefined ? undefined : o.actual.rules)}`,
    ...o.actual.reasons.map((r) => `    reason    ${r}`),
    '',
    '',
  ].join('\n');
}

async function loadCaseFile(file: string): Promise<{
  shown: string;
  cases: PolicyCase[];
  lineOf: (p: readonly PropertyKey[]) => number;
  compiled: CompiledPolicy;
}> {
  const absolute = path.resolve(file);
  const shown = displayPath(absolute);
  let text: string;
  try {
    text = await fs.readFile(absolute, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ToolgateError('TG_FILE_NOT_FOUND', `cannot read case file ${shown}: ${code === 'ENOENT' ? 'no such file' : code ?? 'error'}`, {
      details: { file: shown },
    });
  }
  const { value, located } = parseYamlWith(text, shown, caseFileSchema, 'TG_POLICY_TEST_INVALID');
  const dir = path.dirname(absolute);
  let compiled: CompiledPolicy;
  if (value.config !== undefined) {
    const config = await loadConfig(path.resolve(dir, value.config));
    compiled = await loadPolicy(config.policy.files, config.baseDir);
  } else {
    const policies = typeof value.policy === 'string' ? [value.policy] : (value.policy ?? []);
    compiled = await loadPolicy(policies.map((p) => path.resolve(dir, p)), dir);
  }
  return { shown, cases: value.cases, lineOf: located.lineOf, compiled };
}
