// Browser flows of the foundation: office finds a member by sector; a person on a phone opens
// a studio page and its QR code leads back to it; a member is refused an office page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import jsQR from 'jsqr';
import { startServer, launch, login, PHONE } from './server.js';

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

test('office logs in and finds a member by sector', async () => {
  const page = await browser.newPage({ locale: 'zh-CN' });
  await login(page, server.base, 'office');
  assert.match(page.url(), /\/office$/);
  assert.equal(Number(await page.textContent('#count-members')) > 250, true);
  await page.goto(`${server.base}/office/members`);
  const sector = page.locator('select[name=sector_id]');
  const value = await sector.locator('option', { hasText: '教育界' }).getAttribute('value');
  await sector.selectOption(value);
  await Promise.all([page.waitForNavigation(), page.click('form.filters button[type=submit]')]);
  assert.match(page.url(), new RegExp(`sector_id=${value}`));
  const rows = page.locator('table.records tbody tr');
  assert.ok((await rows.count()) > 0);
  const headers = (await page.locator('table.records thead th').allTextContents()).map((h) => h.trim());
  const col = headers.indexOf('界别') + 1;
  assert.ok(col > 0, `no 界别 column in ${headers}`);
  for (const cell of await page.locator(`table.records tbody tr td:nth-child(${col})`).allTextContents()) {
    assert.equal(cell.trim(), '教育界');
  }
  const first = rows.first().locator('a');
  const name = (await first.textContent()).trim();
  await Promise.all([page.waitForNavigation(), first.click()]);
  assert.equal(await page.inputValue('#f-name'), name);
  await page.screenshot({ path: `${shots}office-member.png`, fullPage: true });
  await page.close();
});

test('a person on a phone opens a studio page and its QR code encodes that page', async () => {
  const ctx = await browser.newContext(PHONE);
  const page = await ctx.newPage();
  await page.goto(`${server.base}/studios`);
  await Promise.all([page.waitForNavigation(), page.locator('.cards a').first().click()]);
  const studioUrl = page.url();
  assert.match(studioUrl, /\/studios\/\d+$/);
  await page.locator('#studio-qr').evaluate((img) => img.decode());
  const pixels = await page.evaluate(() => {
    const img = document.getElementById('studio-qr');
    const c = document.createElement('canvas');
    c.width = 480; c.height = 480;
    const g = c.getContext('2d');
    g.fillStyle = '#fff'; g.fillRect(0, 0, 480, 480);
    g.drawImage(img, 0, 0, 480, 480);
    return Array.from(g.getImageData(0, 0, 480, 480).data);
  });
  const code = jsQR(Uint8ClampedArray.from(pixels), 480, 480);
  assert.ok(code, 'the QR code can be read');
  assert.equal(code.data, studioUrl);
  assert.equal(await page.textContent('#studio-url'), studioUrl);
  // Nothing is wider than the phone.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
  await page.screenshot({ path: `${shots}phone-studio.png`, fullPage: true });
  // The member directory works on the phone too.
  await page.goto(`${server.base}/members`);
  const overflow2 = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow2 <= 0);
  await page.screenshot({ path: `${shots}phone-directory.png` });
  await ctx.close();
});

test('a member signs in and is refused an office page', async () => {
  const ctx = await browser.newContext(PHONE);
  const page = await ctx.newPage();
  await login(page, server.base, 'member');
  assert.match(page.url(), /\/me$/);
  assert.equal(await page.locator('nav.menu a[href="/office/members"]').count(), 0);
  const res = await page.goto(`${server.base}/office/members`);
  assert.equal(res.status(), 403);
  assert.match(await page.textContent('h1'), /没有权限/);
  await ctx.close();
});
