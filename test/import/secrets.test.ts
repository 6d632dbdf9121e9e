import { describe, expect, it } from 'vitest';
import {
  Variables,
  argsWithoutCredentials,
  clientOnlyVariable,
  envValue,
  headerValue,
  isSecretName,
  urlWithoutCredentials,
  type CredentialHit,
} from '../../src/import/secrets.js';

describe('Variables', () => {
  it('shares a name between uses of the same value and moves a different value to the next candidate', () => {
    const vars = new Variables();
    expect(vars.claim(['TOKEN', 'A_TOKEN'], 's1', 'use 1')).toBe('TOKEN');
    expect(vars.claim(['TOKEN', 'B_TOKEN'], 's1', 'use 2')).toBe('TOKEN');
    expect(vars.claim(['TOKEN', 'B_TOKEN'], 's2', 'use 3')).toBe('B_TOKEN');
    expect(vars.claim(['B_TOKEN'], 's3', 'use 4')).toBe('B_TOKEN_2');
    expect(vars.list()).toEqual([
      { name: 'TOKEN', uses: ['use 1', 'use 2'], referenced: false },
      { name: 'B_TOKEN', uses: ['use 3'], referenced: false },
      { name: 'B_TOKEN_2', uses: ['use 4'], referenced: false },
    ]);
  });

  it("never gives a value the name of a variable the input referenced (its value is the user's)", () => {
    const vars = new Variables();
    vars.reference('GITHUB_TOKEN', 'referenced by upstream a');
    expect(vars.claim(['GITHUB_TOKEN', 'B_GITHUB_TOKEN'], 'ghp_x', 'env of b')).toBe('B_GITHUB_TOKEN');
    expect(vars.list()[0]).toEqual({ name: 'GITHUB_TOKEN', uses: ['referenced by upstream a'], referenced: true });
  });
});

describe('envValue and headerValue', () => {
  it('replace a value by a reference and keep references, empty values and VS Code ${env:X} (as ${X})', () => {
    const vars = new Variables();
    expect(envValue('s3cret', ['API_KEY'], 'env', vars)).toBe('${API_KEY}');
    expect(envValue('${MY_TOKEN}', ['TOKEN'], 'env', vars)).toBe('${MY_TOKEN}');
    expect(envValue('${env:MY_TOKEN}', ['TOKEN'], 'env', vars)).toBe('${MY_TOKEN}');
    expect(envValue('', ['EMPTY'], 'env', vars)).toBe('');
    expect(vars.list().map((v) => v.name)).toEqual(['API_KEY']);
  });

  it('treat a VS Code ${input:...} prompt as a value to reference', () => {
    const vars = new Variables();
    expect(envValue('${input:token}', ['TOKEN'], 'env', vars)).toBe('${TOKEN}');
  });

  it('keep the auth scheme of a header in clear and reference the credential', () => {
    const vars = new Variables();
    expect(headerValue('Bearer abc.def', ['R_AUTHORIZATION'], 'header Authorization', vars)).toBe('Bearer ${R_AUTHORIZATION}');
    expect(headerValue('k-123', ['R_X_API_KEY'], 'header X-Api-Key', vars)).toBe('${R_X_API_KEY}');
    expect(vars.list()[0]?.uses).toEqual(['header Authorization (the credential after "Bearer ")']);
  });
});

describe('argsWithoutCredentials', () => {
  const run = (args: string[]): { args: string[]; hits: CredentialHit[] } => argsWithoutCredentials('srv', args, new Variables());

  it('references the values of secret-named flags, spaced or with =', () => {
    expect(run(['--api-key', 'k1', '--token=t1', '--apiKey', 'k2', '--verbose', '--key', '--x']).args).toEqual([
      '--api-key',
      '${SRV_API_KEY}',
      '--token=${SRV_TOKEN}',
      '--apiKey',
      '${SRV_APIKEY}',
      '--verbose',
      '--key',
      '--x',
    ]);
  });

  it('references docker -e KEY=VALUE and secret-named KEY=VALUE, and leaves -e KEY alone', () => {
    expect(run(['run', '-e', 'REGION=eu', '-e', 'GITHUB_TOKEN', 'API_TOKEN=t', 'MODE=fast']).args).toEqual([
      'run',
      '-e',
      'REGION=${REGION}',
      '-e',
      'GITHUB_TOKEN',
      'API_TOKEN=${API_TOKEN}',
      'MODE=fast',
    ]);
  });

  it('references URL passwords and secret-named query parameters, keeping the rest of the URL', () => {
    const { args, hits } = run(['postgresql://app:pw@db:5432/shop', 'https://h.example/mcp?team=core&api_key=q1']);
    expect(args).toEqual(['postgresql://app:${SRV_PASSWORD}@db:5432/shop', 'https://h.example/mcp?team=core&api_key=${SRV_API_KEY}']);
    expect(hits.map((h) => h.what)).toEqual(['password in argument 1', 'query parameter api_key in argument 2']);
  });

  it('references well-known token formats given as bare arguments', () => {
    expect(run(['ghp_abcdefghijklmnop0123456789']).args).toEqual(['${SRV_TOKEN}']);
  });

  it('keeps ordinary arguments and package names as written', () => {
    const args = ['-y', '@modelcontextprotocol/server-filesystem', './notes', '/Users/a/Desktop', 'sk-learn-helpers', 'https://example.com/docs'];
    expect(run(args)).toEqual({ args, hits: [] });
  });

  it('keeps arguments that already reference the environment', () => {
    expect(run(['--token', '${MY_TOKEN}']).args).toEqual(['--token', '${MY_TOKEN}']);
  });
});

describe('urlWithoutCredentials', () => {
  it('leaves a URL without credentials unchanged', () => {
    const hits: CredentialHit[] = [];
    expect(urlWithoutCredentials('r', 'https://mcp.example.com/mcp?x=1#k', 'the url', new Variables(), hits)).toBe('https://mcp.example.com/mcp?x=1#k');
    expect(hits).toEqual([]);
  });
});

describe('names and client-only variables', () => {
  it('knows credential names in several spellings', () => {
    for (const name of ['api-key', 'apiKey', 'API_KEY', 'token', 'accessToken', 'client_secret', 'password', 'github.pat']) expect(isSecretName(name)).toBe(true);
    for (const name of ['verbose', 'directory', 'port', 'keyboard', 'tokenizer']) expect(isSecretName(name)).toBe(false);
  });

  it('finds variables only the client can resolve', () => {
    expect(clientOnlyVariable('${workspaceFolder}/x')).toBe('${workspaceFolder}');
    expect(clientOnlyVariable('${input:gh}')).toBe('${input:gh}');
    expect(clientOnlyVariable('${HOME}/x')).toBeUndefined();
  });
});
