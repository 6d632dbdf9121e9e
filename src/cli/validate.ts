/** `toolgate validate`: checks the config and every policy file, reporting all problems with file:line: field. */
import type { Command } from 'commander';
import { loadConfig, DEFAULT_CONFIG } from '../config/load.js';
import { ToolgateError } from '../errors.js';
import { compileRedaction } from '../log/redact.js';
import { loadPolicy, validatePolicy } from '../policy/load.js';
import { formatIssue } from '../yaml.js';
import { processIO } from './run.js';

/** Registers `validate`. */
export function register(program: Command): void {
  program
    .command('validate')
    .description('check the config and its policy files; every error names file, line and field')
    .option('-c, --config <file>', 'the gateway config', DEFAULT_CONFIG)
    .action(async (opts: { config: string }) => {
      const config = await loadConfig(opts.config);
      compileRedaction(config.log.redact);
      const issues = await validatePolicy(config.policy.files, config.baseDir);
      if (issues.length > 0) {
        throw new ToolgateError('TG_POLICY_INVALID', issues.map(formatIssue).join('\n'));
      }
      const policy = await loadPolicy(config.policy.files, config.baseDir);
      const servers = new Set(Object.keys(config.upstreams));
      const unknown = [...new Set(policy.rules.flatMap((r) => (r.server !== undefined && !servers.has(r.server) ? [r.server] : [])))];
      for (const name of unknown) processIO.err(`toolgate: warning: policy names server ${JSON.stringify(name)}, which is not an upstream in ${opts.config}`);
      processIO.out(
        `ok: ${opts.config} with ${Object.keys(config.upstreams).length} upstreams, ${config.policy.files.length} policy files, ${policy.rules.length} rules (policy ${policy.hash.slice(0, 12)})`,
      );
    });
}
