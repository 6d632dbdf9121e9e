// Several replicas end to end: two real `toolgate serve` processes over HTTP, each with its own
// decision log and its own upstream, sharing one real Redis for approvals, grants, rates and pins.
import { execFile } from 'node:child_process';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BIN, connectHttp, startHttpGateway, type HttpGateway } from '../helpers/gateway.js';
import { makeWorkspace, stdioUpstream, type Workspace } from '../helpers/workspace.js';
import { startRedisServer, type RedisServer } from '../state/redis-server.js';

const exec = promisify(execFile);

const POLICY = `version: 1
default: deny
rules:
  - id: ping-three-a-minute
    effect: allow
    server: recorder
    tools: [ping]
    when:
      rate: { max: 3, per: 1m }
  - id: echo-and-mutate
    effect: allow
    server: recorder
    tools: [echo, mutate]
  - id: refunds-need-a-person
    effect: challenge
    server: recorder
    tools: [refund]
    reason: refunds need a person
`;

let redis: RedisServer;
let ws: Workspace;
const configs = { a: '', b: '' };
const gateways: HttpGateway[] = [];
const clients: Client[] = [];
let a: Client;
let b: Client;

beforeAll(async () => {
  redis = await startRedisServer();
  const recorder = stdioUpstream('recorder').replace('{ RECORDER_FILE: ./received.jsonl }', '{ RECORDER_FILE: ./received.jsonl, RECORDER_EXTRA_TOOLS: ping }');
  ws = await makeWorkspace({ upstreams: { recorder }, listen: '    transport: http\n    port: 0', policy: POLICY });
  const base = await readFile(ws.config, 'utf8');
  for (const name of ['a', 'b'] as const) {
    // One decision log has one writer: each replica gets its own. The state is the shared Redis.
    const text = base
      .replace('log:\n  path: logs/decisions.jsonl', `log:\n  path: logs/replica-${name}.jsonl`)
      .replace('state:\n  path: state/toolgate.db', `state:\n  redis: ${redis.url}`);
    expect(text).toContain(`replica-${name}.jsonl`);
    expect(text).toContain('redis: redis://');
    configs[name] = join(ws.dir, `replica-${name}.yaml`);
    await writeFile(configs[name], text);
  }
  for (const config of [configs.a, configs.b]) gateways.push(await startHttpGateway(config));
  for (const gw of gateways) clients.push(await connectHttp(gw.url));
  [a, b] = clients as [Client, Client];
});
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  for (const gw of gateways) await gw.stop();
  await ws?.cleanup();
  await redis?.stop();
});

const call = (c: Client, name: string, args: Record<string, unknown> = {}) => c.callTool({ name, arguments: args }) as Promise<CallToolResult>;
const decisionOf = (r: CallToolResult) => r._meta?.['toolgate/decision'] as { decision: string; reasons: string[]; approval?: string } | undefined;
const received = async (tool: string) => (await ws.received()).filter((r) => r.tool === tool);
const cli = (config: string, ...args: string[]) => exec(process.execPath, [BIN, ...args, '--config', config]);

describe('two replicas sharing one Redis', () => {
  test('both replicas run on Redis: the banner says so and no SQLite file is made', async () => {
    for (const gw of gateways) expect(gw.stdout()).toMatch(/state:\s+redis/);
    await expect(access(join(ws.dir, 'state/toolgate.db'))).rejects.toThrow();
  });

  test('an approval asked for through one replica and given from the CLI is honored by the other, once', async () => {
    const challenged = await call(a, 'refund', { amount_usd: 150 });
    expect(challenged.isError).toBe(true);
    const id = decisionOf(challenged)?.approval as string;
    expect(id).toMatch(/^apr_[a-z2-7]{10}$/);

    // The CLI run with replica B's config sees the approval replica A asked for.
    const listed = await cli(configs.b, 'approvals', 'list', '--json');
    expect(listed.stdout).toContain(id);
    await cli(configs.b, 'approvals', 'approve', id);

    const through = await call(b, 'refund', { amount_usd: 150 });
    expect(through.isError).toBeFalsy();
    expect(decodeJwt(through._meta?.['toolgate/receipt'] as string)).toMatchObject({ approval: id, tool: 'refund' });
    expect((await received('refund')).length).toBe(1);

    // Single use: neither replica lets the same call through again.
    expect((await call(a, 'refund', { amount_usd: 150 })).isError).toBe(true);
    expect((await call(b, 'refund', { amount_usd: 150 })).isError).toBe(true);
    expect((await received('refund')).length).toBe(1);

    const logB = await readFile(join(ws.dir, 'logs/replica-b.jsonl'), 'utf8');
    expect(logB).toContain(`"approval":"${id}"`);
  });

  test('a rate limit of 3 a minute counts calls across both replicas', async () => {
    // Fixed one-minute windows: start well inside one, so all five calls fall into the same window.
    const intoWindow = Date.now() % 60_000;
    if (intoWindow > 50_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoWindow + 100));
    const outcomes: boolean[] = [];
    for (const c of [a, b, a, b, a]) outcomes.push((await call(c, 'ping')).isError !== true);
    expect(outcomes).toEqual([true, true, true, false, false]);
    expect((await received('ping')).length).toBe(3);
  });

  test('a changed tool is held on both replicas until one pins accept from the CLI releases it on both', async () => {
    expect((await call(a, 'echo', { text: 'before' })).isError).toBeFalsy();
    expect((await call(b, 'echo', { text: 'before' })).isError).toBeFalsy();
    // Each replica has its own upstream process; both upstreams change echo's description.
    for (const c of [a, b]) {
      await call(c, 'mutate');
      for (let i = 0; i < 200 && (await c.listTools()).tools.some((t) => t.name === 'echo'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    for (const c of [a, b]) {
      const denied = await call(c, 'echo', { text: 'held' });
      expect(denied.isError).toBe(true);
      expect(decisionOf(denied)?.reasons).toEqual(['tool-changed']);
    }
    expect((await received('echo')).filter((r) => r.args.text === 'held')).toEqual([]);

    const list = await cli(configs.a, 'pins', 'list');
    expect(list.stdout).toContain('CHANGED recorder/echo');
    const accepted = await cli(configs.a, 'pins', 'accept', 'recorder/echo');
    expect(accepted.stdout).toContain('accepted');

    for (const c of [a, b]) {
      expect((await call(c, 'echo', { text: 'after' })).isError).toBeFalsy();
      expect((await c.listTools()).tools.map((t) => t.name)).toContain('echo');
    }
    expect((await received('echo')).filter((r) => r.args.text === 'after')).toHaveLength(2);
  });

  test('each replica writes only its own decision log', async () => {
    const logA = await readFile(join(ws.dir, 'logs/replica-a.jsonl'), 'utf8');
    const logB = await readFile(join(ws.dir, 'logs/replica-b.jsonl'), 'utf8');
    expect(logA).toContain('"tool":"refund"');
    expect(logB).toContain('"tool":"refund"');
    await expect(access(ws.logFile)).rejects.toThrow();
  });

  // Last: it takes Redis away from both replicas.
  test('while Redis is down, calls that need shared state fail closed on both replicas; once it is back they go through', async () => {
    await redis.stop();
    const before = (await ws.received()).length;
    for (const c of [a, b]) {
      await expect(call(c, 'ping')).rejects.toMatchObject({ code: -32603, data: { code: 'TG_STATE_FAILED' } });
      await expect(call(c, 'refund', { amount_usd: 170 })).rejects.toMatchObject({ code: -32603, data: { code: 'TG_STATE_FAILED' } });
    }
    expect((await ws.received()).length).toBe(before);

    // A new, empty Redis on the same port: both replicas reconnect by themselves.
    redis = await startRedisServer({ port: redis.port });
    for (const c of [a, b]) {
      let result: CallToolResult | undefined;
      for (let i = 0; i < 100 && result === undefined; i++) {
        result = await call(c, 'ping').catch(async () => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          return undefined;
        });
      }
      expect(result?.isError).toBeFalsy();
    }
    expect((await received('ping')).length).toBe(5);
  });
});
