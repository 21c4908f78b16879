// Meetings and activities in a browser: a member on a phone receives invitations, asks for
// leave for one meeting and confirms another, scans the check-in QR code shown on the
// organiser's screen (the test reads the code from the image and opens its URL, as the phone's
// camera would) and is checked in. Then the organiser runs a consultation: people's
// representatives come first in the speaking list, two stakeholders state their positions,
// and the closed record lists each position separately.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { startServer, launch, signedIn, submit, readQr, DESK, PHONE } from './server.js';

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

const as = (user, device = PHONE) => signedIn(browser, server.base, user, device);


async function openActivity(page, title) {
  await page.goto(`${server.base}/me/activities`);
  await submit(page, `#my-activities a:has-text("${title}")`);
}


test('a member asks for leave, confirms, and checks in by scanning the screen', async () => {
  const member = await as('member');
  const m = member.page;
  await m.goto(`${server.base}/me/activities`);
  const titles = await m.locator('#my-activities strong').allTextContents();
  assert.ok(titles.includes('市政协十四届五次全体会议'), `invitations: ${titles}`);
  const overflow = await m.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the list is ${overflow}px wider than the phone`);

  await openActivity(m, '市政协十四届五次全体会议');
  await m.fill('input[name=reason]', '赴外地参加培训');
  await submit(m, '#ask-leave');
  assert.equal((await m.textContent('#my-response')).trim(), '请假待批');

  await openActivity(m, '“书香政协”读书分享会');
  await submit(m, '#confirm');
  assert.equal((await m.textContent('#my-response')).trim(), '确认参加');
  await m.screenshot({ path: `${shots}phone-activity.png`, fullPage: true });

  // The organiser's screen at the studio; the phone's camera reads its QR code.
  const office = await as('office', DESK);
  const o = office.page;
  await o.goto(`${server.base}/office/activities`);
  await submit(o, '#activity-list a:has-text("滨江街道委员工作室接待日")');
  await submit(o, '#screen-link');
  const url = await readQr(o, '#checkin-qr');
  assert.match(url, /\/checkin\/\d+\?t=[0-9a-f]{20}$/);
  await o.screenshot({ path: `${shots}checkin-screen.png` });

  await m.goto(url);
  await submit(m, '#checkin-button');
  assert.match(await m.textContent('#checkin-result'), /签到成功/);
  // Scanning again changes nothing.
  await m.goto(url);
  await submit(m, '#checkin-button');
  assert.match(await m.textContent('#checkin-result'), /已签到/);
  await m.screenshot({ path: `${shots}phone-checked-in.png` });

  await o.reload();
  assert.equal((await o.textContent('#checked-in')).trim(), '1');
  await member.ctx.close();
  await office.ctx.close();
});

test('the organiser closes a consultation: people first, each stakeholder’s position on record', async () => {
  const office = await as('office', DESK);
  const o = office.page;
  await o.goto(`${server.base}/office/activities`);
  await submit(o, '#activity-list a:has-text("老旧小区加装电梯协商议事会")');
  const add = async (role, name, interest = '') => {
    await o.selectOption('#participant-form select[name=role]', role);
    await o.fill('#participant-form input[name=name]', name);
    await o.fill('#participant-form input[name=interest]', interest);
    await submit(o, '#participant-form button[type=submit]');
  };
  // Added in the "wrong" order: the department first, the people last.
  await add('government', '市住房和城乡建设局');
  await add('stakeholder', '一楼住户代表', '低层住户');
  await add('stakeholder', '电梯安装企业', '加装企业');
  await add('peoples_rep', '王大爷（三单元居民）');
  const order = await o.locator('#speakers > li').evaluateAll((els) => els.map((e) => e.dataset.role));
  assert.deepEqual(order, ['peoples_rep', 'stakeholder', 'stakeholder', 'government']);

  const speak = async (speaker, position, summary) => {
    const select = o.locator('#speech-form select[name=participant_id]');
    const value = await select.locator('option', { hasText: speaker }).getAttribute('value');
    await select.selectOption(value);
    await o.selectOption('#speech-form select[name=position]', position);
    await o.fill('#speech-form textarea[name=summary]', summary);
    await submit(o, '#speech-form button[type=submit]');
  };
  await speak('王大爷', 'support', '腿脚不便，盼早日装上电梯。');
  await speak('一楼住户代表', 'oppose', '担心采光和噪声，不愿分摊费用。');
  await speak('电梯安装企业', 'suggestion', '可采用贴墙式方案减少遮挡。');

  await o.fill('#close-form textarea[name=summary]', '各方充分表达意见，形成初步方案。');
  await o.fill('#close-form textarea[name=agreed_points]', '采用贴墙式方案，先行试点一个单元。');
  await o.fill('#close-form textarea[name=open_points]', '一楼住户补偿标准待定。');
  await submit(o, '#close-form button[type=submit]');
  assert.equal((await o.textContent('#status')).trim(), '已结束');

  const record = await o.locator('#speakers > li').allTextContents();
  assert.match(record[0], /王大爷.*群众代表/s, 'people’s representative first in the record');
  const positions = await o.locator('#positions li').allTextContents();
  assert.ok(positions.some((p) => /一楼住户代表.*低层住户.*反对/.test(p)), positions.join('\n'));
  assert.ok(positions.some((p) => /电梯安装企业.*加装企业.*建议/.test(p)), positions.join('\n'));
  assert.match(await o.textContent('#agreed'), /贴墙式/);
  await o.screenshot({ path: `${shots}consultation-record.png`, fullPage: true });
  await office.ctx.close();
});
