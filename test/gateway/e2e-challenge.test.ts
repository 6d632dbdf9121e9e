// Challenges end to end: approvals from another terminal (the CLI), and elicitation through the client.
// One gateway over Streamable HTTP, so several client sessions share it (and its decision log).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ElicitRequestSchema, type CallToolResult, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { BIN, connectHttp, startHttpGateway, type HttpGateway } from '../helpers/gateway.js';
import { makeWorkspace, stdioUpstream, type Workspace } from '../helpers/workspace.js';

const exec = promisify(execFile);
let ws: Workspace;
let gateway: HttpGateway;
const open: Client[] = [];

beforeAll(async () => {
  ws = await makeWorkspace({ upstreams: { recorder: stdioUpstream('recorder') }, listen: '    transport: http\n    port: 0' });
  gateway = await startHttpGateway(ws.config);
});
afterAll(async () => {
  for (const c of open) await c.close();
  await gateway.stop();
  await ws.cleanup();
});

async function client(answer?: (message: string) => ElicitResult | Promise<ElicitResult>): Promise<Client> {
  const c = await connectHttp(gateway.url, answer ? { elicitation: {} } : {});
  if (answer) c.setRequestHandler(ElicitRequestSchema, (req) => answer(req.params.message));
  open.push(c);
  return c;
}

const refund = (c: Client, amount: number) => c.callTool({ name: 'refund', arguments: { amount_usd: amount } }) as Promise<CallToolResult>;
const approvalOf = (r: CallToolResult) => (r._meta?.['toolgate/decision'] as { approval?: string } | undefined)?.approval;
const refunded = async (amount: number) => (await ws.received()).filter((r) => r.tool === 'refund' && r.args.amount_usd === amount).length;
const approvals = (...args: string[]) => exec(process.execPath, [BIN, 'approvals', ...args, '--config', ws.config]);

describe('without elicitation: approvals from the CLI', () => {
  test('the challenge names an approval id and the command; approve once lets exactly one identical call through', async () => {
    const c = await client();
    const first = await refund(c, 150);
    expect(first.isError).toBe(true);
    const id = approvalOf(first);
    expect(id).toMatch(/^apr_[a-z2-7]{10}$/);
    const text = first.content.map((x) => (x.type === 'text' ? x.text : '')).join('');
    expect(text).toContain(`toolgate approvals approve ${id}`);
    expect(await refunded(150)).toBe(0);

    const listed = await approvals('list', '--json');
    expect(listed.stdout).toContain(id as string);
    await approvals('approve', id as string);

    const second = await refund(c, 150);
    expect(second.isError).toBeFalsy();
    expect(decodeJwt(second._meta?.['toolgate/receipt'] as string)).toMatchObject({ approval: id, decision: 'challenge', tool: 'refund' });
    expect(await refunded(150)).toBe(1);
    const third = await refund(c, 150);
    expect(third.isError).toBe(true);
    expect(await refunded(150)).toBe(1);

    const log = await readFile(ws.logFile, 'utf8');
    expect(log).toContain(`"approval":"${id}"`);
  });

  test('an approval never covers other arguments', async () => {
    const c = await client();
    const id = approvalOf(await refund(c, 160)) as string;
    await approvals('approve', id, '--for', '1h');
    expect((await refund(c, 161)).isError).toBe(true);
    expect(await refunded(161)).toBe(0);
    expect((await refund(c, 160)).isError).toBeFalsy();
  });

  test('--for session covers that session only; --for 1h covers other sessions too', async () => {
    const a = await client();
    const b = await client();
    const id = approvalOf(await refund(a, 170)) as string;
    await approvals('approve', id, '--for', 'session');
    expect((await refund(a, 170)).isError).toBeFalsy();
    expect((await refund(a, 170)).isError).toBeFalsy();
    expect((await refund(b, 170)).isError).toBe(true);
    const id2 = approvalOf(await refund(b, 171)) as string;
    await approvals('approve', id2, '--for', '1h');
    expect((await refund(a, 171)).isError).toBeFalsy();
    expect((await refund(b, 171)).isError).toBeFalsy();
  });

  test('a denied approval refuses the retried call as denied by a person', async () => {
    const c = await client();
    const id = approvalOf(await refund(c, 180)) as string;
    await approvals('deny', id);
    const retried = await refund(c, 180);
    expect(retried._meta?.['toolgate/decision']).toMatchObject({ decision: 'deny', approval: id });
    expect(await refunded(180)).toBe(0);
  });

  test('20 concurrent identical calls against one single-use approval: exactly one goes through', async () => {
    const c = await client();
    const id = approvalOf(await refund(c, 190)) as string;
    await approvals('approve', id);
    const results = await Promise.all(Array.from({ length: 20 }, () => refund(c, 190)));
    expect(results.filter((r) => !r.isError)).toHaveLength(1);
    expect(await refunded(190)).toBe(1);
  });

  test('approving an unknown id is one line and a non-zero exit', async () => {
    const failed = await approvals('approve', 'apr_aaaaaaaaaa').catch((e: { code: number; stderr: string }) => e);
    expect((failed as { code: number }).code).not.toBe(0);
    expect((failed as { stderr: string }).stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('with elicitation: the person answers through the client', () => {
  test('accept forwards the call; the question names tool, principal, reason and arguments', async () => {
    const asked: string[] = [];
    const c = await client((message) => {
      asked.push(message);
      return { action: 'accept', content: { approve: true } };
    });
    const result = await refund(c, 200);
    expect(result.isError).toBeFalsy();
    expect(await refunded(200)).toBe(1);
    expect(asked[0]).toContain('recorder/refund');
    expect(asked[0]).toContain('alice');
    expect(asked[0]).toContain('refunds over 100 USD need a person');
    expect(asked[0]).toContain('"amount_usd": 200');
  });

  test.each([
    ['decline', { action: 'decline' } as ElicitResult],
    ['cancel', { action: 'cancel' } as ElicitResult],
    ['accept without approve: true', { action: 'accept', content: { approve: false } } as ElicitResult],
  ])('%s: nothing is forwarded', async (_name, answer) => {
    const amount = 300 + Math.floor(Math.random() * 1000);
    const c = await client(() => answer);
    const result = await refund(c, amount);
    expect(result.isError).toBe(true);
    expect(await refunded(amount)).toBe(0);
  });
});
