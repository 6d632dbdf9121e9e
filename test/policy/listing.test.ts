import { describe, expect, it } from 'vitest';
import { isListed } from '../../src/policy/listing.js';
import { compileText } from './helpers.js';

const alice = { id: 'alice', roles: ['dev'] };
const bob = { id: 'bob', roles: ['ops'] };

describe('isListed', () => {
  const policy = compileText(`
version: 1
rules:
  - id: read-sandbox
    effect: allow
    server: fs
    tools: [read_file]
    when:
      args.path: { under: ./sandbox }
  - id: no-deletes
    effect: deny
    server: fs
    tools: [delete_file]
  - id: ops-write
    effect: challenge
    server: fs
    tools: [write_file]
    when:
      principal.roles: { includes: ops }
  - id: never-dotenv
    effect: deny
    tools: ["*"]
    when:
      args.path: { glob: "**/.env*" }
  - id: no-bob-shell
    effect: deny
    server: sh
    tools: [run]
    when:
      principal.id: { equals: bob }
  - id: shell
    effect: allow
    server: sh
    tools: [run]
  - id: capped
    effect: deny
    server: sh
    tools: [spam]
    when:
      rate: { max: 5, per: 1m }
`);
  it('a tool an allow rule could match is listed, whatever its argument conditions', () => {
    expect(isListed(policy, 'fs', 'read_file', alice)).toBe(true);
  });
  it('a deny rule without argument conditions hides the tool', () => {
    expect(isListed(policy, 'fs', 'delete_file', alice)).toBe(false);
  });
  it('a deny rule with argument conditions does not hide the tool', () => {
    expect(isListed(policy, 'fs', 'read_file', bob)).toBe(true);
  });
  it('a deny rule with a rate does not hide the tool', () => {
    expect(isListed(policy, 'sh', 'spam', alice)).toBe(false); // nothing allows it and default is deny
    const open = compileText('version: 1\ndefault: allow\nrules:\n  - { id: c, effect: deny, when: { rate: { max: 1, per: 1m } } }\n');
    expect(isListed(open, 'sh', 'spam', alice)).toBe(true);
  });
  it('principal conditions are checked against the principal', () => {
    expect(isListed(policy, 'fs', 'write_file', bob)).toBe(true);
    expect(isListed(policy, 'fs', 'write_file', alice)).toBe(false);
    expect(isListed(policy, 'sh', 'run', bob)).toBe(false);
    expect(isListed(policy, 'sh', 'run', alice)).toBe(true);
  });
  it('with default deny, a tool no rule could allow is hidden', () => {
    expect(isListed(policy, 'fs', 'move_file', alice)).toBe(false);
  });
  it('with default allow or challenge, an unmatched tool is listed', () => {
    expect(isListed(compileText('version: 1\ndefault: allow\n'), 'x', 'y', alice)).toBe(true);
    expect(isListed(compileText('version: 1\ndefault: challenge\n'), 'x', 'y', alice)).toBe(true);
  });
});
