// The upstream pool with real upstreams: routing of upstream requests to sessions, shared
// subscriptions, capability union, and an upstream that fails to start.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallToolResultSchema, type LoggingMessageNotification } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LoadedUpstream } from '../../src/config/load.js';
import { openPool, type PoolEvent, type UpstreamPool } from '../../src/upstream/pool.js';
import type { DownstreamPort, Routing } from '../../src/upstream/port.js';
import { eventually } from '../helpers/clients.js';
import { ROOT, SERVERS } from '../helpers/workspace.js';

let dir: string;
let pool: UpstreamPool;
const routed: Array<{ upstream: string; to: Routing; method: string }> = [];
const logs: Array<LoggingMessageNotification['params']> = [];
const updated: Array<{ uri: string; holders: readonly string[] }> = [];

const port: DownstreamPort = {
  request: async (upstream, to, request) => {
    routed.push({ upstream, to, method: request.method });
    if (request.method === 'roots/list') return { roots: [] };
    return { role: 'assistant', content: { type: 'text', text: 'sampled' }, model: 'test' };
  },
  log: (_upstream, _to, params) => void logs.push(params),
  resourceUpdated: (_upstream, uri, holders) => void updated.push({ uri, holders }),
  listChanged: () => undefined,
  elicitationComplete: () => undefined,
};

const stdio = (name: string, script: string, args: string[] = []): Extract<LoadedUpstream, { transport: 'stdio' }> => ({
  name,
  transport: 'stdio',
  command: process.execPath,
  args: [script, ...args],
  env: {},
  cwd: dir,
  timeout: 10_000,
});

const callTool = (name: string, args: Record<string, unknown>, holder: { id: string; requestId?: number }) =>
  pool.request('everything', { method: 'tools/call', params: { name, arguments: args } }, CallToolResultSchema, { holder });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-pool-'));
  pool = await openPool([stdio('everything', SERVERS.everything, ['stdio']), stdio('recorder', SERVERS.recorder)], () => undefined, {
    downstream: port,
    healthIntervalMs: 0,
  });
});

afterAll(async () => {
  await pool?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('requests from an upstream go to the session they belong to', () => {
  test('before any session used the upstream: none', async () => {
    // server-everything asks for roots shortly after it is initialized.
    expect(await eventually(() => routed.some((r) => r.method === 'roots/list'))).toBe(true);
    expect(routed.find((r) => r.method === 'roots/list')?.to).toEqual({ kind: 'none' });
  });

  test('one session with a call in flight: that session, with the call as the related request', async () => {
    const result = await callTool('trigger-sampling-request', { prompt: 'hi', maxTokens: 5 }, { id: 'alice', requestId: 7 });
    expect(JSON.stringify(result.content)).toContain('sampled');
    expect(routed.at(-1)).toEqual({ upstream: 'everything', method: 'sampling/createMessage', to: { kind: 'one', id: 'alice', relatedRequestId: 7 } });
  });

  test('two sessions with calls in flight: several, and the gateway cannot tell', async () => {
    const slow = callTool('trigger-long-running-operation', { duration: 1, steps: 1 }, { id: 'bob', requestId: 1 });
    await callTool('trigger-sampling-request', { prompt: 'hi', maxTokens: 5 }, { id: 'alice', requestId: 8 });
    await slow;
    expect(routed.at(-1)?.to).toEqual({ kind: 'several', ids: ['bob', 'alice'] });
  });

  test('nothing in flight: the session that last used the upstream (here, by changing its roots)', async () => {
    const before = routed.length;
    pool.rootsChanged({ id: 'carol' });
    expect(await eventually(() => routed.length > before)).toBe(true);
    expect(routed.at(-1)).toEqual({ upstream: 'everything', method: 'roots/list', to: { kind: 'one', id: 'carol' } });
  });
});

describe('subscriptions are shared', () => {
  test('the upstream is asked once for two sessions, and told when the last one leaves', async () => {
    const uri = pool.listings.resources[0]?.uri as string;
    const said = (text: string) => logs.filter((l) => String(l.data).includes(text)).length;
    await pool.subscribe('everything', uri, { id: 'alice' });
    await pool.subscribe('everything', uri, { id: 'bob' });
    await eventually(() => said('Received Subscribe Resource request') > 0);
    await pool.unsubscribe('everything', uri, { id: 'alice' });
    pool.release('bob');
    expect(await eventually(() => said('Received Unsubscribe Resource request') > 0)).toBe(true);
    expect(said('Received Subscribe Resource request')).toBe(1);
    expect(said('Received Unsubscribe Resource request')).toBe(1);
  });
});

describe('what the gateway declares', () => {
  test('the union of the upstreams, tools always', () => {
    expect(pool.capabilities()).toMatchObject({ tools: { listChanged: true }, resources: { subscribe: true }, prompts: {}, logging: {}, completions: {} });
    expect(pool.connected().sort()).toEqual(['everything', 'recorder']);
  });
});

describe('an upstream that fails to start', () => {
  test('is reported and retried with backoff until the pool closes; the others serve', async () => {
    const events: PoolEvent[] = [];
    const broken: LoadedUpstream = { ...stdio('broken', join(dir, 'missing.mjs')), timeout: 2000 };
    const small = await openPool([broken, stdio('recorder', SERVERS.recorder)], (e) => void events.push(e), {
      backoff: { initialMs: 20, maxMs: 40 },
      healthIntervalMs: 0,
    });
    try {
      expect(small.connected()).toEqual(['recorder']);
      expect(small.catalog.entries.map((e) => e.exposed)).toContain('recorder__echo');
      expect(small.catalog.byExposed('broken__anything')?.placeholder).toBe(true);
      const failures = () => events.filter((e) => e.kind === 'failed' && e.upstream === 'broken');
      expect(await eventually(() => failures().length >= 3)).toBe(true);
      expect(failures()[0]).toMatchObject({ message: expect.stringMatching(/^upstream broken failed to start: .*; retrying in 20 ms$/) });
      expect(failures()[1]).toMatchObject({ message: expect.stringMatching(/retrying in 40 ms$/) });
    } finally {
      await small.close();
    }
    const after = events.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(events.length).toBe(after);
  });
});

describe('an upstream that crashes soon after each start', () => {
  test('is retried ever more slowly: the backoff starts over only after a connection lasted', async () => {
    const events: PoolEvent[] = [];
    const crashing: LoadedUpstream = { ...stdio('crashing', join(ROOT, 'test/servers/flaky.mjs')), env: { FLAKY_DIE_AFTER_MS: '400' } };
    const small = await openPool([crashing], (e) => void events.push(e), { backoff: { initialMs: 20, maxMs: 1000 }, healthIntervalMs: 0 });
    try {
      const retries = () =>
        events.flatMap((e) => (e.kind === 'failed' && e.upstream === 'crashing' ? [Number(/retrying in (\d+) ms$/.exec(e.message)?.[1])] : []));
      const connects = () => events.filter((e) => e.kind === 'connected').length;
      expect(await eventually(() => connects() >= 3 && retries().length >= 3)).toBe(true);
      expect(retries().slice(0, 3)).toEqual([20, 40, 80]);
    } finally {
      await small.close();
    }
  });
});
