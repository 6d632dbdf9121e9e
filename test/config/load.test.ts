import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { YamlInvalidError } from '../../src/yaml.js';

const minimal = `gateway:
  name: demo
upstreams:
  fs:
    transport: stdio
    command: node
    args: [server.js]
policy:
  files: [policies/fs.yaml]
log:
  path: logs/decisions.jsonl
`;

function issuesOf(text: string, env: NodeJS.ProcessEnv = {}): { code: string; lines: string[] } {
  try {
    parseConfig(text, '/cfg/toolgate.yaml', env);
  } catch (e) {
    if (e instanceof YamlInvalidError) return { code: e.code, lines: e.message.split('\n') };
    throw e;
  }
  throw new Error('expected the config to be refused');
}

describe('loadConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-config-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  test('fills defaults and resolves paths against the config folder', async () => {
    await writeFile(join(dir, 'toolgate.yaml'), minimal);
    const config = await loadConfig(join(dir, 'toolgate.yaml'));
    expect(config.baseDir).toBe(dir);
    expect(config.policy.files).toEqual([join(dir, 'policies/fs.yaml')]);
    expect(config.log.path).toBe(join(dir, 'logs/decisions.jsonl'));
    expect(config.state.path).toBe(join(dir, 'state/toolgate.db'));
    expect(config.upstreams.fs).toMatchObject({ transport: 'stdio', cwd: dir, name: 'fs', timeout: 60_000 });
    expect(config.gateway.listen).toMatchObject({ transport: 'stdio', host: '127.0.0.1', port: 8787 });
    expect(config.receipts.ttlSeconds).toBe(120);
    expect(config.log.checkpoint).toEqual({ every: 1000, intervalMs: 60_000 });
    expect(config.pins).toBe('enforce');
  });

  test('a missing file is TG_FILE_NOT_FOUND', async () => {
    await expect(loadConfig(join(dir, 'nope.yaml'))).rejects.toMatchObject({ code: 'TG_FILE_NOT_FOUND' });
  });
});

describe('parseConfig errors', () => {
  test('an unknown key names its line and field', () => {
    const { code, lines } = issuesOf(minimal.replace('  name: demo', '  name: demo\n  nmae: typo'));
    expect(code).toBe('TG_CONFIG_INVALID');
    expect(lines).toEqual(['/cfg/toolgate.yaml:3: gateway.nmae: unknown key']);
  });

  test('every problem is reported, each with file:line: field', () => {
    const text = minimal.replace('transport: stdio', 'transport: carrier-pigeon') + 'receipts: { ttl: 12x }\n';
    const { lines } = issuesOf(text);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\/cfg\/toolgate\.yaml:5: upstreams\.fs\.transport: /);
    expect(lines[1]).toMatch(/^\/cfg\/toolgate\.yaml:12: receipts\.ttl: expected a duration/);
  });

  test('invalid YAML syntax names the line', () => {
    const { code, lines } = issuesOf('gateway:\n  name: [unclosed\n');
    expect(code).toBe('TG_CONFIG_INVALID');
    expect(lines[0]).toMatch(/^\/cfg\/toolgate\.yaml:\d+: /);
  });

  test('${VAR} comes from the environment and is remembered as a secret', () => {
    const text = minimal.replace('args: [server.js]', 'args: [server.js]\n    env: { TOKEN: "${API_TOKEN}" }');
    const config = parseConfig(text, '/cfg/toolgate.yaml', { API_TOKEN: 's3cret-value' });
    const fs = config.upstreams.fs;
    expect(fs?.transport === 'stdio' && fs.env.TOKEN).toBe('s3cret-value');
    expect(config.secrets).toContain('s3cret-value');
  });

  test('an unset ${VAR} names the variable and the line, never a value', () => {
    const text = minimal.replace('args: [server.js]', 'args: [server.js]\n    env: { TOKEN: "${API_TOKEN}" }');
    const { code, lines } = issuesOf(text);
    expect(code).toBe('TG_ENV_UNSET');
    expect(lines).toEqual(['/cfg/toolgate.yaml:8: upstreams.fs.env.TOKEN: environment variable API_TOKEN is not set']);
  });

  test('${VAR:-default} falls back when unset', () => {
    const text = minimal.replace('name: demo', 'name: demo\n  principal: { id: "${TG_WHO:-local}" }');
    expect(parseConfig(text, '/cfg/toolgate.yaml', {}).gateway.principal).toEqual({ id: 'local', roles: [] });
  });

  test('an upstream name outside [A-Za-z0-9_-] is refused', () => {
    const { lines } = issuesOf(minimal.replace('  fs:', '  "f s":'));
    expect(lines[0]).toMatch(/upstreams/);
  });

  test('a non-loopback HTTP listener without auth is refused', () => {
    const { code, lines } = issuesOf(minimal.replace('  name: demo', '  name: demo\n  listen: { transport: http, host: 0.0.0.0 }'));
    expect(code).toBe('TG_CONFIG_INVALID');
    expect(lines[0]).toMatch(/gateway\.listen\.host: auth is required when host is not a loopback address/);
  });

  test('a JWT issuer over plain http is refused unless on loopback', () => {
    const auth = (issuer: string) =>
      minimal.replace('  name: demo', `  name: demo\n  listen:\n    transport: http\n    auth:\n      jwt: { issuer: "${issuer}", audience: tg, jwks: "${issuer}/jwks" }`);
    expect(issuesOf(auth('http://auth.example.com')).lines[0]).toMatch(/issuer must be https/);
    expect(() => parseConfig(auth('http://127.0.0.1:9999'), '/cfg/toolgate.yaml', {})).not.toThrow();
  });

  test('a token never appears in an error about the entry that holds it', () => {
    const text = minimal.replace('  name: demo', '  name: demo\n  listen:\n    transport: http\n    auth:\n      tokens: [{ token: "${T}", principal: 7 }]');
    const { lines } = issuesOf(text, { T: 'super-secret-token-value-1234' });
    expect(lines.join('\n')).not.toContain('super-secret-token-value-1234');
  });
});
