import { describe, expect, test } from 'vitest';
import { REDACTED, compileRedaction } from '../../src/log/redact.js';

describe('compileRedaction', () => {
  test('replaces top-level and nested argument paths with [redacted]', () => {
    const redact = compileRedaction(['args.token', 'args.password', 'args.auth.key']);
    const line = { args: { token: 't0k3n', password: 'hunter2', auth: { key: 'k', user: 'bob' }, path: './a' }, tool: 'x' };
    expect(redact(line)).toEqual({
      args: { token: REDACTED, password: REDACTED, auth: { key: REDACTED, user: 'bob' }, path: './a' },
      tool: 'x',
    });
  });

  test('never changes its input', () => {
    const redact = compileRedaction(['args.auth.key']);
    const line = { args: { auth: { key: 'k' } } };
    redact(line);
    expect(line.args.auth.key).toBe('k');
  });

  test('leaves absent paths absent', () => {
    const redact = compileRedaction(['args.token', 'args.auth.key']);
    const line = { args: { path: './a', auth: 'not-an-object' } };
    expect(redact(line)).toBe(line);
  });

  test('a * matches any key or array index at its level', () => {
    const redact = compileRedaction(['args.*.password', 'args.list[*].secret']);
    const line = { args: { db: { password: 'p', host: 'h' }, list: [{ secret: 's1' }, { secret: 's2', keep: 1 }] } };
    expect(redact(line)).toEqual({
      args: { db: { password: REDACTED, host: 'h' }, list: [{ secret: REDACTED }, { secret: REDACTED, keep: 1 }] },
    });
  });

  test('brackets name keys that are not identifiers', () => {
    const redact = compileRedaction(['args["x-api-key"]', "args['a.b']"]);
    expect(redact({ args: { 'x-api-key': 'k', 'a.b': 'v', other: 1 } })).toEqual({ args: { 'x-api-key': REDACTED, 'a.b': REDACTED, other: 1 } });
  });

  test('a whole object can be redacted', () => {
    expect(compileRedaction(['args.auth'])({ args: { auth: { key: 'k' } } })).toEqual({ args: { auth: REDACTED } });
  });

  test('an unreadable path is TG_CONFIG_INVALID', () => {
    for (const bad of ['', 'args.', 'args..x', 'args[unquoted]', 'args["x"']) {
      expect(() => compileRedaction([bad]), bad).toThrow(expect.objectContaining({ code: 'TG_CONFIG_INVALID' }));
    }
  });
});
