import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  APPROVAL_ID,
  PENDING_TTL_MS,
  approveCommand,
  checkDenied,
  consumeGrant,
  listPending,
  newApprovalId,
  requestApproval,
  resolveApproval,
  settleChallenge,
  type ApprovalRequest,
} from '../../src/approvals/store.js';
import { ONCE_GRANT_TTL_MS, SESSION_GRANT_TTL_MS } from '../../src/approvals/scope.js';
import { createMemoryState } from '../../src/state/memory.js';
import { openSqliteState } from '../../src/state/sqlite.js';
import type { StateStore } from '../../src/state/store.js';

const T0 = 1_750_000_000_000;
const MIN = 60_000;

const request = (overrides: Partial<ApprovalRequest> = {}): ApprovalRequest => ({
  principal: 'alice',
  session: 'session-1',
  server: 'filesystem',
  tool: 'write_file',
  args_sha256: 'c'.repeat(64),
  args_preview: '{"path":"notes.txt","content":"hi"}',
  reason: 'writes change files on disk',
  rules: ['writes-need-a-person'],
  ...overrides,
});

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tg-approvals-'));
});
afterAll(async () => rm(root, { recursive: true, force: true }));

let n = 0;
const implementations: [string, () => Promise<StateStore>][] = [
  ['memory', async () => createMemoryState()],
  ['sqlite', () => openSqliteState(join(root, `store-${n++}.db`))],
];

describe.each(implementations)('approvals over %s', (_name, open) => {
  let state: StateStore;
  const opened: StateStore[] = [];
  const fresh = async (): Promise<StateStore> => {
    const s = await open();
    opened.push(s);
    return s;
  };
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });

  test('a challenged call gets a pending approval with a typeable id that expires after PENDING_TTL_MS', async () => {
    state = await fresh();
    const { id, expiresAt } = await requestApproval(state, request(), T0);
    expect(id).toMatch(APPROVAL_ID);
    expect(expiresAt).toBe(T0 + PENDING_TTL_MS);
    expect(await listPending(state, T0)).toMatchObject([{ id, principal: 'alice', tool: 'write_file', status: 'pending', rules: ['writes-need-a-person'] }]);
  });

  test('asking again for the same call returns the same approval id', async () => {
    state = await fresh();
    const first = await requestApproval(state, request(), T0);
    const second = await requestApproval(state, request({ session: 'session-2' }), T0 + MIN);
    expect(second.id).toBe(first.id);
    expect(await listPending(state, T0 + MIN)).toHaveLength(1);
  });

  test('approved once: the same call goes through once, then is challenged again', async () => {
    state = await fresh();
    const { id } = await requestApproval(state, request(), T0);
    await resolveApproval(state, id, { verdict: 'approve', scope: 'once', by: 'bob' }, T0 + MIN);
    expect(await consumeGrant(state, request(), T0 + 2 * MIN)).toEqual({ approvalId: id });
    expect(await consumeGrant(state, request(), T0 + 2 * MIN)).toBeNull();
    const again = await settleChallenge(state, request(), T0 + 3 * MIN);
    expect(again.kind).toBe('pending');
    expect(again.approvalId).not.toBe(id);
  });

  test('a once approval also serves the same call from another session of the same principal', async () => {
    state = await fresh();
    const { id } = await requestApproval(state, request(), T0);
    await resolveApproval(state, id, { verdict: 'approve' }, T0);
    expect(await consumeGrant(state, request({ session: 'session-9' }), T0)).toEqual({ approvalId: id });
  });

  test('an unused once approval lapses after ONCE_GRANT_TTL_MS', async () => {
    state = await fresh();
    const { id } = await requestApproval(state, request(), T0);
    await resolveApproval(state, id, { verdict: 'approve' }, T0);
    expect(await consumeGrant(state, request(), T0 + ONCE_GRANT_TTL_MS)).toBeNull();
  });

  test('approved for the session: every identical call of that session goes through, other sessions are challenged', async () => {
    state = await fresh();
    const { id } = await requestApproval(state, request(), T0);
    await resolveApproval(state, id, { verdict: 'approve', scope: 'session' }, T0);
    for (let i = 0; i < 3; i++) expect(await consumeGrant(state, request(), T0 + i * MIN)).toEqual({ approvalId: id });
    expect(await consumeGrant(state, request({ session: 'session-2' }), T0)).toBeNull();
    expect(await consumeGrant(state, request(), T0 + SESSION_GRANT_TTL_MS)).toBeNull();
  });

  test('a session approval covers the session that asked last', async () => {
    state = await fresh();
    await requestApproval(state, request({ session: 'old' }), T0);
    const { id } = await requestApproval(state, request({ session: 'new' }), T0 + MIN);
    await resolveApproval(state, id, { verdict: 'approve', scope: 'session' }, T0 + MIN);
    expect(await consumeGrant(state, request({ session: 'new' }), T0 + MIN)).toEqual({ approvalId: id });
    expect(await consumeGrant(state, request({ session: 'old' }), T0 + MIN)).toBeNull();
  });

  test('approved for a duration: identical calls from any session go through until it ends', async () => {
    state = await fresh();
    const { id } = await requestApproval(state, request(), T0);
    await resolveApproval(state, id, { verdict: 'approve', scope: { durationMs: 60 * MIN } }, T0 + MIN);
    expect(await consumeGrant(state, request({ session: 'x' }), T0 + 60 * MIN)).toEqual({ approvalId: id });
    expect(await consumeGrant(state, request({ session: 'y' }), T0 + 61 * MIN - 1)).toEqual({ approvalId: id });
    expect(await consumeGrant(state, request(), T0 + 61 * MIN)).toBeNull();
  });

  test('an approval never covers other arguments, another tool, another server or another principal', async () => {
    state = await fresh();
    const { id } = await requestApproval(state, request(), T0);
    await resolveApproval(state, id, { verdict: 'approve', scope: { durationMs: 60 * MIN } }, T0);
    for (const other of [{ args_sha256: 'd'.repeat(64) }, { tool: 'edit_file' }, { server: 'other' }, { principal: 'mallory' }]) {
      expect(await consumeGrant(state, request(other), T0)).toBeNull();
      expect((await settleChallenge(state, request(other), T0)).kind).toBe('pending');
    }
    expect(await consumeGrant(state, request(), T0)).toEqual({ approvalId: id });
  });

  test('denied: the retried call is refused as denied by a person, without a new approval, until the denial lapses', async () => {
    state = await fresh();
    const { id, expiresAt } = await requestApproval(state, request(), T0);
    const denied = await resolveApproval(state, id, { verdict: 'deny', by: 'bob' }, T0 + MIN);
    expect(denied).toMatchObject({ status: 'denied', resolved_by: 'bob' });
    expect(await consumeGrant(state, request(), T0 + 2 * MIN)).toBeNull();
    expect(await checkDenied(state, request(), T0 + 2 * MIN)).toEqual({ approvalId: id });
    expect(await settleChallenge(state, request(), T0 + 2 * MIN)).toEqual({ kind: 'denied', approvalId: id });
    expect(await listPending(state, T0 + 2 * MIN)).toEqual([]);
    expect(await checkDenied(state, request({ args_sha256: 'd'.repeat(64) }), T0 + 2 * MIN)).toBeNull();
    expect((await settleChallenge(state, request(), expiresAt)).kind).toBe('pending');
  });

  test('an expired approval is refused with TG_APPROVAL_NOT_FOUND saying so, and grants nothing', async () => {
    state = await fresh();
    const { id, expiresAt } = await requestApproval(state, request(), T0);
    await expect(resolveApproval(state, id, { verdict: 'approve' }, expiresAt)).rejects.toMatchObject({
      code: 'TG_APPROVAL_NOT_FOUND',
      details: { reason: 'expired' },
    });
    expect(await consumeGrant(state, request(), expiresAt)).toBeNull();
    expect(await listPending(state, expiresAt)).toEqual([]);
  });

  test('unknown and already resolved ids are TG_APPROVAL_NOT_FOUND', async () => {
    state = await fresh();
    await expect(resolveApproval(state, 'apr_aaaaaaaaaa', { verdict: 'approve' }, T0)).rejects.toMatchObject({
      code: 'TG_APPROVAL_NOT_FOUND',
      details: { reason: 'unknown' },
    });
    await expect(resolveApproval(state, 'not an id', { verdict: 'deny' }, T0)).rejects.toMatchObject({ code: 'TG_APPROVAL_NOT_FOUND' });
    const { id } = await requestApproval(state, request(), T0);
    await resolveApproval(state, id, { verdict: 'approve' }, T0);
    await expect(resolveApproval(state, id, { verdict: 'approve' }, T0)).rejects.toMatchObject({
      code: 'TG_APPROVAL_NOT_FOUND',
      details: { reason: 'resolved' },
    });
    await expect(resolveApproval(state, id, { verdict: 'deny' }, T0)).rejects.toMatchObject({ code: 'TG_APPROVAL_NOT_FOUND' });
  });

  test('a duration that is not positive is TG_USAGE', async () => {
    state = await fresh();
    const { id } = await requestApproval(state, request(), T0);
    await expect(resolveApproval(state, id, { verdict: 'approve', scope: { durationMs: 0 } }, T0)).rejects.toMatchObject({ code: 'TG_USAGE' });
  });

  test('20 concurrent identical calls against one single-use approval: exactly one goes through', async () => {
    state = await fresh();
    const { id } = await requestApproval(state, request(), T0);
    await resolveApproval(state, id, { verdict: 'approve' }, T0);
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => settleChallenge(state, request({ session: `s${i}` }), T0)));
    expect(outcomes.filter((o) => o.kind === 'granted')).toEqual([{ kind: 'granted', approvalId: id }]);
    expect(new Set(outcomes.filter((o) => o.kind === 'pending').map((o) => o.approvalId)).size).toBe(1);
  });
});

describe('ids and commands', () => {
  test('approval ids are apr_ and 10 base32 characters, and differ', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newApprovalId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(APPROVAL_ID);
  });

  test('the approve command names the id, and the config quoted for a shell when it has to be', () => {
    expect(approveCommand('apr_abcdefghij')).toBe('toolgate approvals approve apr_abcdefghij');
    expect(approveCommand('apr_abcdefghij', '/srv/toolgate.yaml')).toBe('toolgate approvals approve apr_abcdefghij --config /srv/toolgate.yaml');
    expect(approveCommand('apr_abcdefghij', "/my dir/it's.yaml")).toBe(`toolgate approvals approve apr_abcdefghij --config '/my dir/it'\\''s.yaml'`);
  });
});
