import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseClientConfig } from '../../src/import/input.js';
import { planImport, type ImportPlan } from '../../src/import/plan.js';
import { FIXTURES } from './helpers.js';

const planOf = async (file: string): Promise<ImportPlan> => planImport(parseClientConfig(await readFile(file, 'utf8'), file));
const planText = (text: string): ImportPlan => planImport(parseClientConfig(text, 'c.json'));
const reasonOf = (plan: ImportPlan, key: string): string | undefined => plan.skipped.find((s) => s.key === key)?.reason;

describe('planImport: Claude Desktop', () => {
  it('imports stdio servers, renames unsafe keys and skips what toolgate cannot run, with a reason', async () => {
    const plan = await planOf(FIXTURES.claude);
    expect(plan.servers.map((s) => s.name)).toEqual(['filesystem', 'github', 'postgres', 'brave-search', 'weather']);
    expect(plan.renamed).toEqual([{ from: 'brave search', to: 'brave-search' }]);
    expect(plan.skipped).toEqual([
      { key: 'broken', reason: 'has neither command nor url' },
      { key: 'old', reason: 'disabled in the client config' },
    ]);
  });

  it('references every env value and names the variables, keeping args and cwd as written', async () => {
    const plan = await planOf(FIXTURES.claude);
    const weather = plan.servers.find((s) => s.name === 'weather');
    expect(weather?.upstream).toEqual({
      transport: 'stdio',
      command: 'uv',
      args: ['--directory', '/Users/alice/weather', 'run', 'weather.py', '--api-key', '${WEATHER_API_KEY}'],
      env: { WEATHER_UNITS: '${WEATHER_UNITS}', PORT: '${PORT}' },
      cwd: '/Users/alice/weather',
    });
    expect(plan.variables.map((v) => v.name)).toEqual([
      'GITHUB_PERSONAL_ACCESS_TOKEN',
      'POSTGRES_PASSWORD',
      'BRAVE_API_KEY',
      'WEATHER_API_KEY',
      'WEATHER_UNITS',
      'PORT',
    ]);
  });

  it('notes relative paths in args, which now start from the gateway folder', async () => {
    expect((await planOf(FIXTURES.claude)).notes).toContain("filesystem: relative paths in args (./notes) are now taken from the gateway's folder");
  });
});

describe('planImport: Cursor', () => {
  it('imports remote servers as http, with an SSE note, and skips other transports', async () => {
    const plan = await planOf(FIXTURES.cursor);
    expect(plan.servers.find((s) => s.name === 'linear')?.upstream).toEqual({ transport: 'http', url: 'https://mcp.linear.app/sse', headers: {} });
    expect(plan.notes).toContain('linear: an SSE server; toolgate tries Streamable HTTP first, then falls back to SSE');
    expect(reasonOf(plan, 'socket')).toBe('transport type "ws" is not supported (stdio, http, sse)');
    expect(reasonOf(plan, 'both')).toBe('has both command and url');
  });

  it('references header values as <SERVER>_<HEADER>, and query credentials', async () => {
    const plan = await planOf(FIXTURES.cursor);
    expect(plan.servers.find((s) => s.name === 'remote-api')?.upstream).toEqual({
      transport: 'http',
      url: 'https://mcp.example.com/mcp?team=core&api_key=${REMOTE_API_API_KEY}',
      headers: { Authorization: 'Bearer ${REMOTE_API_AUTHORIZATION}', 'X-Team-Key': '${REMOTE_API_X_TEAM_KEY}' },
    });
  });

  it('gives an env key that servers set to different values one variable per server', async () => {
    const plan = await planOf(FIXTURES.cursor);
    const env = (name: string): unknown => {
      const u = plan.servers.find((s) => s.name === name)?.upstream;
      return u?.transport === 'stdio' ? u.env : undefined;
    };
    expect(env('local-tools')).toEqual({ API_KEY: '${LOCAL_TOOLS_API_KEY}' });
    expect(env('other-tools')).toEqual({ API_KEY: '${OTHER_TOOLS_API_KEY}' });
  });

  it('shares one variable when servers set an env key to the same value', () => {
    const plan = planText('{"mcpServers": {"a": {"command": "x", "env": {"TOKEN": "t"}}, "b": {"command": "y", "env": {"TOKEN": "t"}}}}');
    expect(plan.variables).toEqual([{ name: 'TOKEN', uses: ['env TOKEN of upstream a', 'env TOKEN of upstream b'], referenced: false }]);
  });
});

describe('planImport: VS Code and Claude Code', () => {
  it('skips client-only variables, rewrites ${env:X}, and references an ${input:...} header', async () => {
    const plan = await planOf(FIXTURES.vscode);
    expect(plan.servers.map((s) => s.name)).toEqual(['github', 'fetch', 'env-ref']);
    expect(reasonOf(plan, 'workspace')).toMatch(/^uses the client variable \$\{workspaceFolder\}/);
    expect(plan.variables).toEqual([
      { name: 'MY_TOKEN', uses: ['referenced by upstream env-ref'], referenced: true },
      { name: 'GITHUB_AUTHORIZATION', uses: ['header Authorization of upstream github (the credential after "Bearer ")'], referenced: false },
    ]);
  });

  it('keeps ${VAR} references written in the input and lists them as needed', () => {
    const plan = planText('{"mcpServers": {"api": {"type": "http", "url": "${API_BASE:-https://api.example.com}/mcp", "headers": {"Authorization": "Bearer ${API_KEY}"}}}}');
    expect(plan.servers[0]?.upstream).toEqual({ transport: 'http', url: '${API_BASE:-https://api.example.com}/mcp', headers: { Authorization: 'Bearer ${API_KEY}' } });
    expect(plan.variables.map((v) => v.name)).toEqual(['API_KEY']);
  });
});

describe('planImport: entries it cannot use', () => {
  it.each([
    ['{"type": "stdio", "url": "https://x.example"}', 'type stdio without a command'],
    ['{"type": "http", "command": "x"}', 'type http without a url'],
    ['{"url": "ftp://x.example/mcp"}', 'url is not an http(s) URL'],
    ['{"command": "x", "envFile": ".env"}', 'uses envFile, which toolgate does not read: move its variables into env and import again'],
    ['{"command": "node", "args": ["/opt/toolgate/bin/toolgate", "serve", "--config", "t.yaml"]}', 'already runs toolgate'],
    ['{"command": "x", "args": ["${input:dir}"]}', 'uses the client variable ${input:dir}, which only the client can resolve: write the value instead and import again'],
  ])('skips %s', (entry, reason) => {
    const plan = planText(`{"mcpServers": {"a": ${entry}, "ok": {"command": "y"}}}`);
    expect(plan.skipped).toEqual([{ key: 'a', reason }]);
  });

  it('reports unknown client keys and keeps auto-approved tool names as hints', () => {
    const plan = planText('{"mcpServers": {"a": {"command": "x", "autoApprove": ["read"], "alwaysAllow": ["list"], "timeout": 60}}}');
    expect(plan.notes).toEqual(['a: ignored client keys timeout']);
    expect(plan.servers[0]?.autoApproved).toEqual(['read', 'list']);
  });
});
