// Crash safety end to end: kill -9 the gateway under concurrent calls; no forwarded call may be missing
// from the decision log, `logs verify` must say exactly where the tail tore, and a restart must recover.
import { execFile } from 'node:child_process';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { BIN, connectHttp, startHttpGateway } from '../helpers/gateway.js';
import { makeWorkspace, stdioUpstream, type Workspace } from '../helpers/workspace.js';

const exec = promisify(execFile);
let ws: Workspace;

beforeAll(async () => {
  ws = await makeWorkspace({
    upstreams: { recorder: stdioUpstream('recorder') },
    listen: '    transport: http\n    port: 0',
    extra: 'receipts:\n  key: keys/gateway.key.json\n',
  });
  await exec(process.execPath, [BIN, 'keys', 'generate', '--out', join(ws.dir, 'keys')]);
});
afterAll(async () => ws?.cleanup());

const verify = () =>
  exec(process.execPath, [BIN, 'logs', 'verify', '--config', ws.config]).then(
    (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
  );

async function logLines(): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(ws.logFile, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.endsWith('}'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('kill -9 under load: every forwarded call has its decision on disk; the torn tail is reported and recovered', async () => {
  const gateway = await startHttpGateway(ws.config);
  const clients: Client[] = [];
  for (let i = 0; i < 6; i++) clients.push(await connectHttp(gateway.url));
  let stop = false;
  const load = clients.map(async (c, i) => {
    for (let n = 0; !stop && n < 10_000; n++) {
      await c.callTool({ name: 'echo', arguments: { text: `c${i}-${n}` } }).catch(() => (stop = true));
    }
  });
  // Let the load run, then kill the gateway without warning.
  while ((await ws.received()).length < 200) await new Promise((r) => setTimeout(r, 50));
  gateway.child.kill('SIGKILL');
  await gateway.stop();
  stop = true;
  // Closing the clients fails the calls that were in flight when the gateway died.
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await Promise.all(load);

  // Every receipt the upstream received names a decision line that was on disk before the call went out.
  const received = await ws.received();
  const logged = new Set((await logLines()).filter((l) => l.type === 'decision').map((l) => l.receipt));
  expect(received.length).toBeGreaterThanOrEqual(200);
  // The log names each receipt by its jti.
  const missing = received.filter((r) => !logged.has(decodeJwt(r.receipt as string).jti));
  expect(missing).toEqual([]);

  // A crash mid-write leaves half a line: simulate it, and verify must name that exact line.
  const complete = (await readFile(ws.logFile, 'utf8')).split('\n').filter(Boolean).length;
  await appendFile(ws.logFile, '{"args":{"text":"half');
  const torn = await verify();
  expect(torn.code).not.toBe(0);
  expect(torn.err.trim()).toMatch(new RegExp(`line ${complete + 1}: torn-line`));

  // Restart: the gateway cuts the torn line off (keeping it in a recovery line), continues the chain and serves.
  const again = await startHttpGateway(ws.config);
  const client = await connectHttp(again.url);
  await client.callTool({ name: 'echo', arguments: { text: 'after the crash' } });
  await client.close();
  expect(await again.stop('SIGTERM')).toBe(0);
  expect(again.stderr()).toContain('not closed cleanly');

  const recovered = await verify();
  expect(recovered.code).toBe(0);
  expect(recovered.out).toMatch(/closed cleanly/);
  expect(recovered.out).toMatch(/1 restart after an unclean shutdown \(line \d+\)/);
  expect(recovered.out).toContain('checkpoint signatures checked');
  const recovery = (await logLines()).find((l) => l.type === 'recovery');
  expect(recovery).toBeDefined();
});
