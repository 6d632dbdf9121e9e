// Shared by the import tests: fixture paths, a temp folder, and every value a fixture marks as secret.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/workspace.js';

/** The client config fixtures. */
export const FIXTURES = {
  claude: join(ROOT, 'test/fixtures/import/claude_desktop_config.json'),
  cursor: join(ROOT, 'test/fixtures/import/cursor-mcp.json'),
  vscode: join(ROOT, 'test/fixtures/import/vscode-mcp.json'),
} as const;

/** Credentials the fixtures hide in args and URLs (env and header values are found by `valuesOf`). */
export const ARG_SECRETS = ['ghp_FixtureSecret0123456789abcdefABCDEF', 'FixturePgPass42', 'wx-fixture-flag-secret-77', 'cursorFixtureQuerySecret9'];

/** Every env and header value in a client config file (literal values only, not `${...}` references). */
export async function valuesOf(file: string): Promise<string[]> {
  const text = (await readFile(file, 'utf8')).replace(/^\s*\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '').replace(/,(\s*[}\]])/g, '$1');
  const root = JSON.parse(text) as { mcpServers?: Record<string, Entry>; servers?: Record<string, Entry> };
  const entries = Object.values(root.mcpServers ?? root.servers ?? {});
  return entries
    .flatMap((e) => [...Object.values(e.env ?? {}), ...Object.values(e.headers ?? {})])
    .map((v) => String(v).replace(/^Bearer /, ''))
    .filter((v) => !v.startsWith('${'));
}
interface Entry {
  env?: Record<string, unknown>;
  headers?: Record<string, unknown>;
}

/** A fresh temp folder and its removal. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tg-import-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
