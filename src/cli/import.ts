/** `toolgate import claude-desktop [FILE]`: an MCP client's server list → toolgate.yaml, a starter policy and the client config that routes through the gateway. */
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import { claudeDesktopConfigPath } from '../import/input.js';
import { formatSummary, summaryJson } from '../import/summary.js';
import { importClientConfig } from '../import/write.js';
import type { ListenMode } from '../import/render.js';
import { processIO, type CliIO } from './run.js';

/** The default output folder. */
export const DEFAULT_OUT = 'toolgate';

/** This package's `bin/toolgate`, by absolute path (from dist/cli or src/cli alike). */
export const TOOLGATE_BIN = fileURLToPath(new URL('../../bin/toolgate', import.meta.url));

/** Registers `import claude-desktop`; output goes to `io` (the process by default). */
export function register(program: Command, io: CliIO = processIO): void {
  const imports = program.command('import').description("turn an MCP client's server list into a toolgate config that routes the client through the gateway");

  imports
    .command('claude-desktop')
    .description(
      'read mcpServers from a Claude Desktop config (also Cursor, Claude Code and VS Code mcp.json) and write ' +
        'DIR/toolgate.yaml, DIR/policies/imported.yaml (every tool challenged), DIR/keys/ and DIR/client-config.json; ' +
        'env and header values become ${VAR} references, never copied',
    )
    .argument('[file]', 'the client config file', claudeDesktopConfigPath(process.platform, process.env, homedir()))
    .option('-o, --out <dir>', 'output folder', DEFAULT_OUT)
    .addOption(new Option('--listen <transport>', 'how the client reaches the gateway: stdio (the client starts it) or http (127.0.0.1:8787)').choices(['stdio', 'http']).default('stdio'))
    .option('-f, --force', 'overwrite toolgate.yaml, the policy and client-config.json in DIR (an existing key is always kept)')
    .option('--json', 'print the summary as JSON')
    .action(async (file: string, opts: { out: string; listen: ListenMode; force?: boolean; json?: boolean }) => {
      const result = await importClientConfig({
        file,
        outDir: opts.out,
        listen: opts.listen,
        force: opts.force === true,
        nodePath: process.execPath,
        toolgateBin: TOOLGATE_BIN,
      });
      io.out(opts.json ? JSON.stringify(summaryJson(result)) : formatSummary(result, { file, outDir: opts.out, listen: opts.listen }));
    });
}
