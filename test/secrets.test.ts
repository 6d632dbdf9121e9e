import { describe, expect, test } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { registerSecrets, scrub } from '../src/secrets.js';

describe('scrub', () => {
  test('replaces every registered secret, longest first', () => {
    registerSecrets(['s3cret-token-abc', 's3cret-token-abc-longer']);
    expect(scrub('a s3cret-token-abc-longer and s3cret-token-abc')).toBe('a [redacted] and [redacted]');
  });

  test('values from ${VAR} are registered when a config is loaded', () => {
    const text = `gateway: { name: g }
upstreams:
  up: { transport: http, url: "http://127.0.0.1:1/mcp", headers: { Authorization: "Bearer \${UP_TOKEN}" } }
policy: { files: [p.yaml] }
log: { path: l.jsonl }
`;
    parseConfig(text, '/cfg/toolgate.yaml', { UP_TOKEN: 'zz-upstream-token-77' });
    expect(scrub('upstream up failed: 401 for Bearer zz-upstream-token-77')).toBe('upstream up failed: 401 for [redacted]');
  });

  test('the principal from ${USER} is not treated as a secret', () => {
    const text = `gateway: { name: g, principal: { id: "\${WHO}" } }
upstreams:
  up: { transport: stdio, command: node }
policy: { files: [p.yaml] }
log: { path: l.jsonl }
`;
    const config = parseConfig(text, '/cfg/toolgate.yaml', { WHO: 'alice-the-operator' });
    expect(config.secrets).not.toContain('alice-the-operator');
    expect(scrub('call by alice-the-operator')).toBe('call by alice-the-operator');
  });

  test('short values are left alone (too common to hide)', () => {
    registerSecrets(['abc']);
    expect(scrub('abc')).toBe('abc');
  });
});
