/** `toolgate pins list` / `pins accept SERVER/TOOL`: pinned tool definitions and accepting a changed one. */
import type { Command } from 'commander';
import { createTwoFilesPatch } from 'diff';
import { DEFAULT_CONFIG } from '../config/load.js';
import { ToolgateError } from '../errors.js';
import { withState } from './with-state.js';
import type { PinRecord } from '../state/store.js';
import { processIO } from './run.js';

/** Registers `pins list` and `pins accept`. */
export function register(program: Command): void {
  const pins = program.command('pins').description('pinned tool definitions: what is pinned, what changed, accepting a change');
  pins
    .command('list')
    .description('show every pinned tool; changed ones with a diff of description and schema')
    .option('-c, --config <file>', 'the gateway config', DEFAULT_CONFIG)
    .option('--json', 'one JSON object per pin')
    .action(async (opts: { config: string; json?: boolean }) => {
      await withState(opts.config, async (state) => {
        const all = await state.pins.list();
        if (opts.json) {
          for (const p of all) processIO.out(JSON.stringify(p));
          return;
        }
        if (all.length === 0) {
          processIO.out('no pinned tools yet: they are pinned the first time the gateway sees them');
          return;
        }
        for (const p of all) processIO.out(describe(p));
        const changed = all.filter((p) => p.status === 'changed').length;
        processIO.out(`${all.length} pinned, ${changed} changed${changed ? ': review, then `toolgate pins accept SERVER/TOOL`' : ''}`);
      });
    });
  pins
    .command('accept')
    .description("accept a changed tool's new definition, so calls to it are allowed again")
    .argument('<server/tool>', 'the upstream and its own tool name')
    .option('-c, --config <file>', 'the gateway config', DEFAULT_CONFIG)
    .action(async (name: string, opts: { config: string }) => {
      const slash = name.indexOf('/');
      if (slash <= 0 || slash === name.length - 1) throw new ToolgateError('TG_USAGE', `expected SERVER/TOOL, not ${JSON.stringify(name)}`);
      const server = name.slice(0, slash);
      const tool = name.slice(slash + 1);
      await withState(opts.config, async (state) => {
        const before = await state.pins.get(server, tool);
        if (!before) throw new ToolgateError('TG_USAGE', `no pin for ${server}/${tool}`);
        if (before.status !== 'changed') {
          processIO.out(`${server}/${tool} has not changed; nothing to accept`);
          return;
        }
        await state.pins.accept(server, tool, Date.now());
        processIO.out(`accepted the new definition of ${server}/${tool}`);
      });
    });
}

function describe(p: PinRecord): string {
  const when = new Date(p.first_seen).toISOString();
  const head = `${p.status === 'changed' ? 'CHANGED' : 'pinned '} ${p.server}/${p.tool}  ${p.hash.slice(0, 12)}  since ${when}`;
  if (p.status !== 'changed' || !p.changed) return head;
  const patch = createTwoFilesPatch('pinned', 'now', pretty(p.definition), pretty(p.changed.definition), '', '', { context: 2 });
  const body = patch
    .split('\n')
    .filter((l) => l !== '' && !/^(===|---|\+\+\+|Index:)/.test(l))
    .map((l) => `    ${l}`);
  return [head, `  now shows ${p.changed.hash.slice(0, 12)} (seen ${new Date(p.changed.seen_at).toISOString()})`, ...body].join('\n');
}

function pretty(json: string): string {
  return `${JSON.stringify(JSON.parse(json) as unknown, null, 2)}\n`;
}
