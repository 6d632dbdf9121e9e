// `toolgate serve` with `admin` configured: the console's URL in the banner, /healthz answering
// beside the gateway, both stopped on SIGTERM; a taken admin port is one clear line and exit 1.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { writeFile, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterEach, expect, test } from 'vitest';
import { BIN, startHttpGateway } from '../helpers/gateway.js';
import { makeWorkspace, stdioUpstream, type Workspace } from '../helpers/workspace.js';
import { verifyLog } from '../../src/log/verify.js';
import { ADMIN_BLOCK } from './support/harness.js';

const exec = promisify(execFile);
const TOKEN = 'serve-admin-token-0123456789';
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function workspace(): Promise<Workspace> {
  const ws = await makeWorkspace({ upstreams: { recorder: stdioUpstream('recorder') }, listen: '    transport: http\n    port: 0', extra: ADMIN_BLOCK });
  cleanups.push(() => ws.cleanup());
  return ws;
}

test('the banner names the review console; /healthz answers with the token; SIGTERM closes the log cleanly', async () => {
  const ws = await workspace();
  const gw = await startHttpGateway(ws.config, { TOOLGATE_ADMIN_TOKEN: TOKEN });
  cleanups.push(() => gw.stop());
  const admin = /^admin: +(http:\/\/127\.0\.0\.1:\d+\/) /m.exec(gw.stdout())?.[1];
  expect(admin).toBeDefined();
  const health = await fetch(`${admin}healthz`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ status: 'ok', upstreams: { recorder: 'up' } });
  expect((await fetch(`${admin}healthz`)).status).toBe(401);
  expect(await gw.stop()).toBe(0);
  expect((await verifyLog(ws.logFile)).ok).toBe(true);
  await expect(fetch(`${admin}healthz`)).rejects.toThrow();
});

test('an admin port already taken: one line naming admin.listen, exit 1, and the gateway does not stay up', async () => {
  const ws = await workspace();
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => blocker.close(resolve)));
  const port = (blocker.address() as { port: number }).port;
  await writeFile(ws.config, (await readFile(ws.config, 'utf8')).replace('port: 0 }', `port: ${port} }`));
  const run = exec(process.execPath, [BIN, 'serve', '--config', ws.config], { env: { ...process.env, TOOLGATE_ADMIN_TOKEN: TOKEN } });
  const failed = await run.then(
    () => undefined,
    (e: { code: number; stderr: string }) => e,
  );
  expect(failed?.code).toBe(1);
  expect(failed?.stderr).toContain(`toolgate: admin.listen: cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
  expect((await verifyLog(ws.logFile)).ok).toBe(true);
});
