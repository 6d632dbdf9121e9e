import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { isToolgateError } from '../../src/errors.js';
import { claudeDesktopConfigPath, parseClientConfig, parseJsonc } from '../../src/import/input.js';
import { FIXTURES } from './helpers.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isToolgateError(e) ? e.code : 'not a ToolgateError';
  }
  return undefined;
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

describe('parseJsonc', () => {
  it('reads comments and trailing commas, and leaves // inside strings alone', () => {
    const text = '{\n  // a comment\n  "url": "https://x.example/a//b", /* block */\n  "list": [1, 2,],\n}\n';
    expect(parseJsonc(text, 'f.json')).toEqual({ url: 'https://x.example/a//b', list: [1, 2] });
  });

  it('keeps escaped quotes inside strings', () => {
    expect(parseJsonc('{"a": "say \\"hi\\", // not a comment",}', 'f.json')).toEqual({ a: 'say "hi", // not a comment' });
  });

  it('reports bad JSON as TG_IMPORT_INVALID with file:line:column of the fault', () => {
    const text = '{\n  "mcpServers": {\n    "a": { "command": "x" }\n    "b": {}\n  }\n}\n';
    expect(codeOf(() => parseJsonc(text, 'cfg.json'))).toBe('TG_IMPORT_INVALID');
    expect(messageOf(() => parseJsonc(text, 'cfg.json'))).toMatch(/^cfg\.json:4:5: invalid JSON: /);
  });

  it('places a truncated file at its end', () => {
    expect(messageOf(() => parseJsonc('{\n  "mcpServers":', 'cfg.json'))).toBe('cfg.json:2:16: invalid JSON: unexpected end of input');
  });

  it('accepts a byte order mark', () => {
    expect(parseJsonc('\ufeff{"a": 1}', 'f.json')).toEqual({ a: 1 });
  });
});

describe('parseClientConfig', () => {
  it('finds Claude Desktop mcpServers among other top-level keys, in file order', async () => {
    const config = parseClientConfig(await readFile(FIXTURES.claude, 'utf8'), 'c.json');
    expect(config.shape).toBe('mcpServers');
    expect(config.servers.map((s) => s.key)).toEqual(['filesystem', 'github', 'postgres', 'brave search', 'weather', 'broken', 'old']);
  });

  it("finds VS Code's servers (JSONC) and VS Code settings' mcp.servers", async () => {
    expect(parseClientConfig(await readFile(FIXTURES.vscode, 'utf8'), 'v.json').shape).toBe('servers');
    expect(parseClientConfig('{"mcp": {"servers": {"a": {"command": "x"}}}}', 's.json').shape).toBe('mcp.servers');
  });

  it('turns numbers and booleans in env and args into text', () => {
    const config = parseClientConfig('{"mcpServers": {"a": {"command": "x", "args": [1, true], "env": {"PORT": 8080}}}}', 'c.json');
    expect(config.servers[0]).toMatchObject({ ok: true, entry: { args: ['1', 'true'], env: { PORT: '8080' } } });
  });

  it('keeps unknown client keys and reports a malformed entry by field, without failing the file', () => {
    const config = parseClientConfig('{"mcpServers": {"a": {"command": "x", "autoStart": true}, "b": {"command": "y", "args": "z"}, "c": 3}}', 'c.json');
    expect(config.servers[0]).toMatchObject({ ok: true, entry: { autoStart: true } });
    expect(config.servers[1]).toMatchObject({ ok: false });
    expect(config.servers[1]?.ok === false && config.servers[1].reason).toMatch(/^args: /);
    expect(config.servers[2]).toEqual({ key: 'c', ok: false, reason: 'expected an object' });
  });

  it('refuses a file without a server list, or with one that is not an object', () => {
    expect(codeOf(() => parseClientConfig('{"globalShortcut": ""}', 'c.json'))).toBe('TG_IMPORT_INVALID');
    expect(messageOf(() => parseClientConfig('{"globalShortcut": ""}', 'c.json'))).toBe('c.json: no "mcpServers" (or VS Code "servers") object to import');
    expect(codeOf(() => parseClientConfig('{"mcpServers": []}', 'c.json'))).toBe('TG_IMPORT_INVALID');
    expect(codeOf(() => parseClientConfig('[]', 'c.json'))).toBe('TG_IMPORT_INVALID');
  });
});

describe('claudeDesktopConfigPath', () => {
  it("is Claude Desktop's own file on macOS, Windows and Linux", () => {
    expect(claudeDesktopConfigPath('darwin', {}, '/Users/a')).toBe('/Users/a/Library/Application Support/Claude/claude_desktop_config.json');
    expect(claudeDesktopConfigPath('win32', { APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'C:\\Users\\a')).toBe(
      'C:\\Users\\a\\AppData\\Roaming\\Claude\\claude_desktop_config.json',
    );
    expect(claudeDesktopConfigPath('linux', {}, '/home/a')).toBe('/home/a/.config/Claude/claude_desktop_config.json');
    expect(claudeDesktopConfigPath('linux', { XDG_CONFIG_HOME: '/cfg' }, '/home/a')).toBe('/cfg/Claude/claude_desktop_config.json');
  });
});
