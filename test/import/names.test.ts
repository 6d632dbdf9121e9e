import { describe, expect, it } from 'vitest';
import { UPSTREAM_NAME } from '../../src/config/schema.js';
import { envVarName, upperSnake, upstreamName } from '../../src/import/names.js';

describe('upstreamName', () => {
  it('keeps a name that is already valid', () => {
    expect(upstreamName('github_tools-2', new Set())).toBe('github_tools-2');
  });

  it('turns runs of other characters into one dash and drops accents', () => {
    expect(upstreamName('brave search', new Set())).toBe('brave-search');
    expect(upstreamName('@org/my.server', new Set())).toBe('org-my-server');
    expect(upstreamName('café', new Set())).toBe('cafe');
    expect(upstreamName('文件', new Set())).toBe('upstream');
    expect(upstreamName('my__tools', new Set())).toBe('my_tools');
  });

  it('cuts to 32 characters', () => {
    const name = upstreamName('a'.repeat(40), new Set());
    expect(name).toBe('a'.repeat(32));
    expect(UPSTREAM_NAME.test(name)).toBe(true);
  });

  it('numbers clashes, ignoring case, and still fits 32 characters', () => {
    const taken = new Set<string>();
    expect(upstreamName('my server', taken)).toBe('my-server');
    expect(upstreamName('my.server', taken)).toBe('my-server-2');
    expect(upstreamName('My-Server', taken)).toBe('My-Server-3');
    const long = 'x'.repeat(32);
    expect(upstreamName(long, taken)).toBe(long);
    expect(upstreamName(`${long}y`, taken)).toBe(`${'x'.repeat(30)}-2`);
  });
});

describe('variable names', () => {
  it('upper-snakes server and header into a variable name', () => {
    expect(upperSnake('remote-api', 'X-Api-Key')).toBe('REMOTE_API_X_API_KEY');
    expect(upperSnake('1password', 'Authorization')).toBe('_1PASSWORD_AUTHORIZATION');
    expect(upperSnake('---')).toBe('VALUE');
  });

  it('keeps env keys that are variable names as written', () => {
    expect(envVarName('github_token')).toBe('github_token');
    expect(envVarName('my-key')).toBe('MY_KEY');
  });
});
