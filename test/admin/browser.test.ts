// The review console in a real browser (Debian's Chromium, driven by playwright-core; never downloaded):
// log in through the form, read the decisions table, click Approve, see the retried call go through.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let h: Harness;
let profile: string;
let browser: BrowserContext;
/** Where the screenshots go; kept (and named on stdout) only with TOOLGATE_KEEP_SCREENSHOTS=1, for a person to look at. */
let shots: string;

beforeAll(async () => {
  h = await startHarness();
  profile = await mkdtemp(join(tmpdir(), 'tg-admin-chromium-'));
  shots = await mkdtemp(join(tmpdir(), 'tg-admin-shots-'));
  browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
  if (shots && process.env.TOOLGATE_KEEP_SCREENSHOTS !== '1') await rm(shots, { recursive: true, force: true });
});

test('log in through the form, see the decisions, approve a pending call with a click', async () => {
  const c = await h.client();
  await c.callTool({ name: 'echo', arguments: { text: 'seen in the browser' } });
  await c.callTool({ name: '<b>bold</b>', arguments: {} }).catch(() => undefined);
  const refund = () => c.callTool({ name: 'refund', arguments: { amount_usd: 420 } }) as Promise<CallToolResult>;
  const challenged = await refund();
  expect(challenged.isError).toBe(true);
  const id = (challenged._meta?.['toolgate/decision'] as { approval: string }).approval;

  const page = await browser.newPage();
  await page.goto(h.admin.url);
  expect(new URL(page.url()).pathname).toBe('/login');
  await page.fill('input[name="token"]', h.token);
  await page.click('button[type="submit"]');
  await page.waitForURL(`${h.origin}/`);

  const decisions = page.locator('#decisions table');
  await expect.poll(() => decisions.innerText()).toContain('seen in the browser');
  // The tool name a client made up is text on the page, not markup.
  expect(await page.locator('#decisions td', { hasText: '<b>bold</b>' }).count()).toBeGreaterThan(0);
  expect(await page.locator('#decisions b').count()).toBe(0);
  expect(await page.locator('#chart svg rect').count()).toBeGreaterThan(0);
  expect(await page.locator('#chain').innerText()).toMatch(/Intact: \d+ lines/);

  const row = page.locator(`tr[data-approval="${id}"]`);
  expect(await row.innerText()).toContain('recorder/refund');
  const cookies = await browser.cookies(h.admin.url);
  expect(cookies.find((k) => k.name === 'toolgate_admin')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  // HttpOnly: the page's own script could not read it.
  expect(await page.evaluate('document.cookie')).toBe('');

  await page.screenshot({ path: join(shots, 'console-before-approve.png'), fullPage: true });
  await row.getByRole('button', { name: 'Approve once' }).click();
  await page.waitForURL(/approved=/);
  expect(await page.locator('[role="status"]').innerText()).toContain(`Approved ${id} once`);
  expect(await page.locator(`tr[data-approval="${id}"]`).count()).toBe(0);
  expect(await h.running.gateway.state.approvals.get(id)).toMatchObject({ status: 'approved', resolved_by: 'admin' });

  const retried = await refund();
  expect(retried.isError).toBeFalsy();
  expect((await h.ws.received()).filter((r) => r.tool === 'refund' && r.args.amount_usd === 420)).toHaveLength(1);
  await page.screenshot({ path: join(shots, 'console-after-approve.png'), fullPage: true });
  if (process.env.TOOLGATE_KEEP_SCREENSHOTS === '1') console.log(`screenshots in ${shots}`);
});
