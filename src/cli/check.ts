/** `toolgate check`: a dry run of the policy for one call; exit 0 allow, 3 deny, 4 challenge. */
import type { Command } from 'commander';
import { loadConfig, DEFAULT_CONFIG } from '../config/load.js';
import { ToolgateError } from '../errors.js';
import { evaluate } from '../policy/evaluate.js';
import { loadPolicy } from '../policy/load.js';
import { resolveCallPaths } from '../policy/paths.js';
import type { Decision, Effect, EvalContext, ToolCall } from '../policy/types.js';
import { ExitWith, parseJsonObject, processIO } from './run.js';

/** Exit codes of `check`, by decision. */
export const CHECK_EXIT: Readonly<Record<Effect, number>> = { allow: 0, deny: 3, challenge: 4 };

interface CheckOptions {
  config: string;
  tool: string;
  args: string;
  principal?: string;
  roles?: string;
  json?: boolean;
}

/** Registers `check`. */
export function register(program: Command): void {
  program
    .command('check')
    .description('dry-run the policy for one call and print the decision, matched rules and reasons (exit 0 allow, 3 deny, 4 challenge)')
    .option('-c, --config <file>', 'the gateway config', DEFAULT_CONFIG)
    .requiredOption('--tool <server/tool>', 'the upstream and its own tool name, e.g. filesystem/read_text_file')
    .option('--args <json>', 'the call arguments as a JSON object', '{}')
    .option('--principal <id>', 'who calls (default: gateway.principal from the config)')
    .option('--roles <a,b>', "the principal's roles, comma-separated (default: the config's)")
    .option('--json', 'print the decision as JSON')
    .action(async (opts: CheckOptions) => {
      const call = parseCall(opts.tool, opts.args);
      const config = await loadConfig(opts.config);
      const policy = await loadPolicy(config.policy.files, config.baseDir);
      const fallback = config.gateway.principal;
      const principal = {
        id: opts.principal ?? fallback.id,
        roles: opts.roles === undefined ? fallback.roles : opts.roles.split(',').map((r) => r.trim()).filter(Boolean),
      };
      const ctx: EvalContext = {
        principal,
        session: 'check',
        now: Date.now(),
        paths: await resolveCallPaths(policy, call, config.baseDir),
        rateCounts: new Map(),
      };
      const decision = evaluate(policy, call, ctx);
      processIO.out(opts.json ? JSON.stringify(summary(decision)) : describe(call, principal.id, decision));
      throw new ExitWith(CHECK_EXIT[decision.decision]);
    });
}

function parseCall(tool: string, args: string): ToolCall {
  const slash = tool.indexOf('/');
  if (slash <= 0 || slash === tool.length - 1) {
    throw new ToolgateError('TG_USAGE', `--tool must be SERVER/TOOL (the upstream and its own tool name), not ${JSON.stringify(tool)}`);
  }
  return { server: tool.slice(0, slash), tool: tool.slice(slash + 1), args: parseJsonObject(args, '--args') };
}

function summary(d: Decision): Record<string, unknown> {
  return { decision: d.decision, rules: d.rules, reasons: d.reasons, matched: d.matched, policy: d.policy };
}

function describe(call: ToolCall, principal: string, d: Decision): string {
  const matched = d.matched.map((m) => `${m.id} (${m.effect})`).join(', ') || 'none';
  return [
    `decision: ${d.decision}`,
    `call:     ${call.server}/${call.tool} by ${principal}`,
    `rules:    ${d.rules.join(', ') || '(none: default)'}`,
    ...d.reasons.map((r, i) => `${i === 0 ? 'reasons: ' : '         '} ${r}`),
    `matched:  ${matched}`,
    `policy:   ${d.policy}`,
  ].join('\n');
}
