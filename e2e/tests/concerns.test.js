// A person on a phone raises a concern with a photo from a studio page and gets a code; the
// member answers; the person opens the status page, sees the answer and rates it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launch, login, PHONE } from './server.js';

let server, browser;
const shots = new URL('../screenshots/', import.meta.url).pathname;
// The smallest valid PNG, standing in for a phone photo.
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

before(async () => {
  mkdirSync(shots, { recursive: true });
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  server?.stop();
});

test('a person raises a concern, the member answers, the person rates it', async () => {
  const photo = join(tmpdir(), `lianxin-e2e-${process.pid}.png`);
  writeFileSync(photo, PNG);

  const person = await browser.newContext(PHONE);
  const page = await person.newPage();
  await page.goto(`${server.base}/studios/1`);
  await Promise.all([page.waitForNavigation(), page.click('#raise-concern')]);
  assert.match(await page.textContent('form#concern-form ~ *, .muted'), /工作室/);
  await page.fill('input[name=title]', '小区门口下水道堵塞');
  await page.fill('textarea[name=detail]', '下雨天门口积水很深，老人孩子出行困难，已经一个多月了。');
  await page.selectOption('select[name=category_id]', { label: '城乡建设（15天内答复）' });
  await page.fill('input[name=area]', '滨江街道望江社区');
  await page.fill('input[name=phone]', '13912345678');
  await page.setInputFiles('input[name=attachments]', photo);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the form is ${overflow}px wider than the phone`);
  await page.screenshot({ path: `${shots}phone-concern-form.png`, fullPage: true });
  await Promise.all([page.waitForNavigation(), page.click('#submit-concern')]);
  const code = (await page.textContent('#tracking-code')).trim();
  assert.match(code, /^[2-9a-z]{12}$/);
  assert.equal((await page.textContent('#status')).trim(), '已分派');
  await page.screenshot({ path: `${shots}phone-concern-code.png`, fullPage: true });

  // The member of the studio answers from their inbox.
  const member = await browser.newContext(PHONE);
  const mp = await member.newPage();
  await login(mp, server.base, 'member');
  await mp.goto(`${server.base}/me/concerns`);
  await Promise.all([mp.waitForNavigation(), mp.click('text=小区门口下水道堵塞')]);
  assert.ok(await mp.isVisible('a:has-text(".png")'), 'the photo is attached');
  await mp.fill('#reply-form textarea[name=body]', '已联系市政部门，周三前疏通。');
  await mp.check('#reply-form input[value=answer]');
  await Promise.all([mp.waitForNavigation(), mp.click('#reply-form button[type=submit]')]);
  assert.equal((await mp.textContent('#status')).trim(), '已答复');

  // The person sees the answer and rates it.
  await page.goto(`${server.base}/c/${code}`);
  assert.match(await page.textContent('.timeline'), /周三前疏通/);
  await page.check('#rate-form input[value=satisfied]');
  await page.fill('#rate-form textarea[name=comment]', '谢谢，处理很快');
  await Promise.all([page.waitForNavigation(), page.click('#rate-form button[type=submit]')]);
  assert.equal((await page.textContent('#rating')).trim(), '满意');
  await page.screenshot({ path: `${shots}phone-concern-rated.png`, fullPage: true });
  await person.close();
  await member.close();
});
