// The admin listener end to end: a real gateway (recorder upstream, SQLite state, decision log on
// disk), a real MCP client over HTTP, and fetch against /healthz, /metrics, the login form and the console.
import { request } from 'node:http';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const call = async (name: string, args: Record<string, unknown>): Promise<CallToolResult> =>
  (await (await h.client()).callTool({ name, arguments: args })) as CallToolResult;
const approvalOf = (r: CallToolResult): string => (r._meta?.['toolgate/decision'] as { approval: string }).approval;

// Logs in through the form as a browser would; returns the Cookie header to send back.
async function login(): Promise<string> {
  const res = await fetch(`${h.origin}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: h.origin },
    body: new URLSearchParams({ token: h.token }).toString(),
  });
  expect(res.status).toBe(303);
  const cookie = res.headers.get('set-cookie') ?? '';
  return cookie.split(';')[0] as string;
}

function post(path: string, form: Record<string, string>, headers: Record<string, string>): Promise<Response> {
  return fetch(`${h.origin}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
}

describe('every admin request needs the admin token', () => {
  test.each(['/healthz', '/metrics', '/'])('%s without a token is 401 with a Bearer challenge', async (path) => {
    const res = await h.get(path, { auth: false });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  test.each(['/healthz', '/metrics', '/'])('%s with a wrong token is 401', async (path) => {
    const res = await h.get(path, { auth: false, headers: { authorization: `Bearer ${h.token}x` } });
    expect(res.status).toBe(401);
  });

  test('a wrong session cookie is not a login', async () => {
    const res = await h.get('/healthz', { auth: false, headers: { cookie: 'toolgate_admin=forged' } });
    expect(res.status).toBe(401);
  });

  test('a browser without a login is sent to the login form; the form itself needs no token', async () => {
    const res = await h.get('/', { auth: false, headers: { accept: 'text/html' } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login');
    const form = await h.get('/login', { auth: false });
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('name="token"');
  });

  test('a request naming another Host is refused (DNS rebinding)', async () => {
    // fetch may not set Host: a raw request does.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(`${h.origin}/healthz`, { headers: { host: 'evil.example', authorization: `Bearer ${h.token}` } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });
});

describe('/healthz and /metrics with the bearer token', () => {
  test('/healthz answers 200 with each upstream up and the log ok', async () => {
    const res = await h.get('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', upstreams: { recorder: 'up' }, log: 'ok' });
  });

  test('/metrics is Prometheus text that counts a call, its decision, its latency and the upstream', async () => {
    const result = await call('echo', { text: 'hi' });
    expect(result.isError).toBeFalsy();
    await call('no_such_tool', {}).catch(() => undefined);
    const res = await h.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^toolgate_calls_total\{server="recorder",tool="echo",decision="allow"\} [1-9]/m);
    expect(text).toMatch(/^toolgate_calls_total\{server="",tool="\(unknown\)",decision="deny"\} 1$/m);
    expect(text).toMatch(/^toolgate_decisions_total\{decision="allow"\} [1-9]/m);
    expect(text).toMatch(/^toolgate_call_duration_seconds_count\{server="recorder",outcome="ok"\} [1-9]/m);
    expect(text).toMatch(/^toolgate_upstream_up\{upstream="recorder"\} 1$/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
  });
});

describe('the login form', () => {
  test('sets an HttpOnly, SameSite=Strict session cookie that does not contain the token', async () => {
    const res = await post('/login', { token: h.token }, { origin: h.origin });
    expect(res.status).toBe(303);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^toolgate_admin=[A-Za-z0-9_-]{43}; /);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).not.toContain(h.token);
  });

  test('a wrong token gets the form again with 401 and no cookie', async () => {
    const res = await post('/login', { token: 'not-the-token-at-all' }, { origin: h.origin });
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await res.text()).toContain('not the admin token');
  });

  test('a login posted from another site is refused', async () => {
    const res = await post('/login', { token: h.token }, { origin: 'http://evil.example' });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  test('the cookie opens the console, with a strict CSP; logging out ends the session', async () => {
    const cookie = await login();
    const res = await h.get('/', { auth: false, headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain('Pending approvals');
    expect(html).toContain('Chain status');
    expect(html).toContain('<svg');
    const out = await post('/logout', {}, { cookie, origin: h.origin });
    expect(out.status).toBe(303);
    expect((await h.get('/healthz', { auth: false, headers: { cookie } })).status).toBe(401);
  });
});

describe('approving from the console', () => {
  test('the Approve button (cookie + same Origin) lets the challenged call through once, recorded as by admin', async () => {
    const c = await h.client();
    const refund = () => c.callTool({ name: 'refund', arguments: { amount_usd: 250 } }) as Promise<CallToolResult>;
    const first = await refund();
    expect(first.isError).toBe(true);
    const id = approvalOf(first);
    const cookie = await login();
    const page = await (await h.get('/', { auth: false, headers: { cookie } })).text();
    expect(page).toContain(`action="/approvals/${id}/approve"`);

    const res = await post(`/approvals/${id}/approve`, { for: 'once' }, { cookie, origin: h.origin, 'sec-fetch-site': 'same-origin' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/?approved=${id}&for=once`);
    expect(await h.running.gateway.state.approvals.get(id)).toMatchObject({ status: 'approved', resolved_by: 'admin', scope: 'once' });

    const second = await refund();
    expect(second.isError).toBeFalsy();
    expect((await h.ws.received()).filter((r) => r.tool === 'refund' && r.args.amount_usd === 250)).toHaveLength(1);
    expect((await refund()).isError).toBe(true);

    const after = await (await h.get(`/?approved=${id}&for=once`, { auth: false, headers: { cookie } })).text();
    expect(after).toContain(`Approved ${id} once`);
  });

  test('Deny refuses the retried call as denied by a person', async () => {
    const c = await h.client();
    const id = approvalOf((await c.callTool({ name: 'refund', arguments: { amount_usd: 260 } })) as CallToolResult);
    const cookie = await login();
    const res = await post(`/approvals/${id}/deny`, {}, { cookie, origin: h.origin });
    expect(res.headers.get('location')).toBe(`/?denied=${id}`);
    expect(await h.running.gateway.state.approvals.get(id)).toMatchObject({ status: 'denied', resolved_by: 'admin' });
    expect(((await c.callTool({ name: 'refund', arguments: { amount_usd: 260 } })) as CallToolResult).isError).toBe(true);
    expect((await h.ws.received()).filter((r) => r.args.amount_usd === 260)).toHaveLength(0);
  });

  test.each([
    ['without an Origin', 271, {}],
    ['from another site', 272, { origin: 'http://evil.example' }],
    ['from the right Origin but marked cross-site by the browser', 273, { origin: '', 'sec-fetch-site': 'cross-site' }],
  ])('a cookie POST %s is refused and the approval stays pending', async (_what, amount, extra: Record<string, string>) => {
    const c = await h.client();
    const id = approvalOf((await c.callTool({ name: 'refund', arguments: { amount_usd: amount } })) as CallToolResult);
    const cookie = await login();
    const headers: Record<string, string> = { cookie, ...extra };
    if (headers.origin === '') headers.origin = h.origin;
    const res = await post(`/approvals/${id}/approve`, { for: 'once' }, headers);
    expect(res.status).toBe(403);
    expect(await h.running.gateway.state.approvals.get(id)).toMatchObject({ status: 'pending' });
  });

  test('with the bearer token an API client approves without an Origin, for a duration', async () => {
    const c = await h.client();
    const id = approvalOf((await c.callTool({ name: 'refund', arguments: { amount_usd: 280 } })) as CallToolResult);
    const res = await post(`/approvals/${id}/approve`, { for: '1h' }, { authorization: `Bearer ${h.token}` });
    expect(res.status).toBe(303);
    expect(await h.running.gateway.state.approvals.get(id)).toMatchObject({ status: 'approved', scope: { durationMs: 3_600_000 } });
  });

  test('approving an unknown or already resolved approval says so on the page', async () => {
    const unknown = await post('/approvals/apr_aaaaaaaaaa/approve', { for: 'once' }, { authorization: `Bearer ${h.token}` });
    expect(unknown.headers.get('location')).toBe('/?error=unknown&id=apr_aaaaaaaaaa');
    const c = await h.client();
    const id = approvalOf((await c.callTool({ name: 'refund', arguments: { amount_usd: 290 } })) as CallToolResult);
    await post(`/approvals/${id}/deny`, {}, { authorization: `Bearer ${h.token}` });
    const again = await post(`/approvals/${id}/approve`, { for: 'once' }, { authorization: `Bearer ${h.token}` });
    expect(again.headers.get('location')).toBe(`/?error=resolved&id=${id}`);
    const page = await (await h.get(again.headers.get('location') as string)).text();
    expect(page).toContain(`${id} was already approved or denied`);
  });
});

describe('what the console shows', () => {
  test('tool names, arguments and reasons from clients are escaped, never markup', async () => {
    const evil = '<script>alert(1)</script>';
    await call(evil, { x: 1 }).catch(() => undefined);
    await call('echo', { text: '<img src=x onerror=f()>' });
    const c = await h.client();
    await c.callTool({ name: 'refund', arguments: { amount_usd: 999, token: '"><svg onload=alert(3)>' } });
    const html = await (await h.get('/')).text();
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<svg onload');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=f()&gt;');
  });

  test('filters narrow the decisions table; a bad filter is named', async () => {
    await call('echo', { text: 'filter-me' });
    const denied = await (await h.get('/?decision=deny')).text();
    const table = denied.slice(denied.indexOf('id="decisions"'));
    expect(table).not.toContain('class="allow"');
    expect(table).toContain('class="deny"');
    const byTool = await (await h.get('/?tool=recorder/echo&since=1h')).text();
    expect(byTool).toContain('filter-me');
    expect(byTool.slice(byTool.indexOf('id="decisions"'))).not.toContain('refund');
    const bad = await (await h.get('/?since=yesterday')).text();
    expect(bad).toContain('since must be a duration');
  });

  test('the chain status is intact and says signatures were not checked with an ephemeral key', async () => {
    const html = await (await h.get('/')).text();
    expect(html).toMatch(/Intact: \d+ lines/);
    expect(html).toContain('signatures NOT checked');
  });
});
