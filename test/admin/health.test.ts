// What /healthz answers for each state of upstreams and log.
import { describe, expect, test } from 'vitest';
import { healthOf } from '../../src/admin/health.js';

describe('healthOf', () => {
  test('all upstreams up and the log writable: ok, 200', () => {
    expect(healthOf(['a', 'b'], ['a', 'b'], true)).toEqual({ httpStatus: 200, body: { status: 'ok', upstreams: { a: 'up', b: 'up' }, log: 'ok' } });
  });

  test('an upstream down: degraded but still 200, since the other tools work', () => {
    expect(healthOf(['a', 'b'], ['a'], true)).toEqual({ httpStatus: 200, body: { status: 'degraded', upstreams: { a: 'up', b: 'down' }, log: 'ok' } });
  });

  test('the log cannot be written: failing, 503, since every call is refused', () => {
    expect(healthOf(['a'], ['a'], false)).toEqual({ httpStatus: 503, body: { status: 'failing', upstreams: { a: 'up' }, log: 'failing' } });
  });
});
