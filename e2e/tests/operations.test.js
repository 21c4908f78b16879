// The operator's page of the background jobs, on a phone: every job with its state, and
// "run now" makes one due at once; the next look of the server runs it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { startServer, launch, signedIn, submit, PHONE } from './server.js';

let server, browser;
const shots = new URL('../screenshots/', import.meta.url).pathname;

before(async () => {
  mkdirSync(shots, { recursive: true });
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  server?.stop();
});

test('the admin watches the jobs and runs one now', async () => {
  const { ctx, page } = await signedIn(browser, server.base, 'admin', PHONE);
  await page.goto(`${server.base}/office/jobs`);
  const cards = page.locator('section.card[id^=job-]');
  assert.equal(await cards.count(), 6);
  // The server ran each job once at start: none has failed, each shows its last run.
  for (const status of await page.locator('[data-status]').allTextContents()) {
    assert.ok(['正常', '运行中'].includes(status.trim()), status);
  }
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  await page.screenshot({ path: `${shots}jobs-phone.png`, fullPage: true });
  const runs = async () => Number(await page.locator('#job-session_sweep [data-runs]').getAttribute('data-runs'));
  const runsBefore = await runs();
  assert.ok(runsBefore >= 1, 'ran at start');
  await submit(page, '#job-session_sweep button[type=submit]');
  assert.match(await page.textContent('[role=status]'), /已安排“清理过期会话”立即运行/);
  // Within a few seconds a node has run it again.
  let runsAfter = runsBefore;
  for (let i = 0; i < 20 && runsAfter === runsBefore; i++) {
    await page.waitForTimeout(500);
    await page.goto(`${server.base}/office/jobs`);
    runsAfter = await runs();
  }
  assert.ok(runsAfter > runsBefore, 'run now ran the job');
  await ctx.close();
});

test('a member is refused the jobs page', async () => {
  const { ctx, page } = await signedIn(browser, server.base, 'member', PHONE);
  const r = await page.goto(`${server.base}/office/jobs`);
  assert.equal(r.status(), 403);
  await ctx.close();
});
