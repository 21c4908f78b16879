// The direct channel in a browser: a member drafts a joint proposal on a phone, the co-signer
// accepts, the office accepts and assigns it, the unit answers class A, the member rates it
// 满意. Then a concern becomes an opinion report, is adopted with a city-level instruction,
// and the person who raised the concern sees that on their status page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { startServer, launch, signedIn, submit, DESK, PHONE } from './server.js';

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


test('a joint proposal: drafted, co-signed, accepted, assigned, answered A, rated 满意', async () => {
  // Who the co-signer is: the studio lead's own member page.
  const lead = await as('studio-lead');
  await lead.page.goto(`${server.base}/me`);
  const leadMember = (await lead.page.getAttribute('a:has-text("查看我的公开主页")', 'href')).split('/').pop();

  const member = await as('member');
  const m = member.page;
  await m.goto(`${server.base}/me/proposals`);
  await submit(m, '#new-proposal');
  await m.fill('input[name=title]', '关于在地铁站增设无障碍电梯的提案');
  await m.fill('textarea[name=cause]', '部分地铁站出入口没有无障碍电梯，轮椅和推婴儿车出行困难。');
  await m.fill('textarea[name=analysis]', '早期建设的车站未预留电梯井，改造需协调地下管线。');
  await m.fill('textarea[name=suggestions]', '对客流大的车站优先加装电梯；新建车站全部配建。');
  await m.check('input[name=kind][value=joint]');
  await m.selectOption('select[name=cosigner]', leadMember);
  const overflow = await m.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the form is ${overflow}px wider than the phone`);
  await submit(m, '#proposal-form button[type=submit]');
  const url = m.url().split('?')[0];
  const id = url.split('/').pop();
  assert.equal((await m.textContent('#status')).trim(), '草稿');
  await m.screenshot({ path: `${shots}phone-proposal-draft.png`, fullPage: true });

  // Not yet: the co-signer has not accepted.
  await submit(m, '#submit-proposal');
  assert.match(await m.textContent('.alert'), /未同意联名/);

  await lead.page.goto(`${server.base}/me/proposals`);
  await submit(lead.page, '#invitations a');
  await submit(lead.page, '#respond-form button[value=yes]');
  assert.match(await lead.page.textContent('#signers'), /已同意联名/);

  await m.goto(url);
  await submit(m, '#submit-proposal');
  assert.equal((await m.textContent('#status')).trim(), '待审查');

  // The office accepts it and assigns it to the housing bureau (the `unit` account's unit).
  const office = await as('office', DESK);
  const o = office.page;
  await o.goto(`${server.base}/office/proposals/${id}`);
  await o.fill('#accept-form input[name=category]', '城乡建设');
  await submit(o, '#accept-form button[type=submit]');
  assert.equal((await o.textContent('#status')).trim(), '已立案待交办');
  await o.selectOption('#assign-form select[name=lead_unit]', { label: '市住房和城乡建设局' });
  await submit(o, '#assign-form button[type=submit]');
  assert.equal((await o.textContent('#status')).trim(), '办理中');
  assert.match(await o.textContent('#units'), /市住房和城乡建设局（主办）/);

  // The unit answers class A.
  const unit = await as('unit', DESK);
  const u = unit.page;
  await u.goto(`${server.base}/unit/proposals`);
  await submit(u, `a[href="/unit/proposals/${id}"]`);
  await u.check('#answer-form input[value=A]');
  await u.fill('#answer-form textarea[name=body]', '已将5座车站加装电梯列入明年计划，2座年内完工。');
  await submit(u, '#answer-form button[type=submit]');
  assert.equal((await u.textContent('#status')).trim(), '已答复');

  // The member reads the answer on the phone and rates it 满意.
  await m.goto(url);
  assert.match(await m.textContent('#answers'), /A类/);
  await m.check('#rate-form input[value=satisfied]');
  await submit(m, '#rate-form button[type=submit]');
  assert.equal((await m.textContent('#rating')).trim(), '满意');
  assert.equal((await m.textContent('#status')).trim(), '已办结');
  await m.screenshot({ path: `${shots}phone-proposal-rated.png`, fullPage: true });
  for (const c of [lead, member, office, unit]) await c.ctx.close();
});

test('an opinion report from a concern is adopted with a city-level instruction; the person sees it', async () => {
  // A person raises a concern at the first studio.
  const person = await browser.newContext(PHONE);
  const p = await person.newPage();
  await p.goto(`${server.base}/concerns/new?studio=1`);
  await p.fill('input[name=title]', '菜市场门口路灯不亮');
  await p.fill('textarea[name=detail]', '晚上七点以后菜市场门口一片漆黑，老人摔倒过。');
  await p.selectOption('select[name=category_id]', { label: '城乡建设（15天内答复）' });
  await p.fill('input[name=area]', '滨江街道');
  await submit(p, '#submit-concern');
  const code = (await p.textContent('#tracking-code')).trim();

  // The member turns it into an opinion report and submits it.
  const member = await as('member');
  const m = member.page;
  await m.goto(`${server.base}/me/concerns`);
  await submit(m, 'text=菜市场门口路灯不亮');
  const concernId = m.url().split('/').pop();
  await m.goto(`${server.base}/me/concerns`);
  await m.check(`input[name=concern_id][value="${concernId}"]`);
  await m.click('button:has-text("整理为社情民意信息")');
  await m.waitForURL(/\/me\/reports\/\d+/);
  const reportUrl = m.url().split('?')[0];
  const rid = reportUrl.split('/').pop();
  await submit(m, '#submit-report');
  assert.equal((await m.textContent('#status')).trim(), '待审核');

  // The office adopts it and records a city-level instruction.
  const office = await as('office', DESK);
  const o = office.page;
  await o.goto(`${server.base}/office/reports/${rid}`);
  await o.check('#review-form input[value=adopt]');
  await o.selectOption('#review-form select[name=level]', 'party_government');
  await submit(o, '#review-form button[type=submit]');
  assert.equal((await o.textContent('#status')).trim(), '已采用');
  await o.fill('#instruction-form input[name=leader]', '副市长');
  await o.selectOption('#instruction-form select[name=level]', 'city');
  await o.fill('#instruction-form input[name=on_date]', '2026-11-25');
  await o.fill('#instruction-form textarea[name=text]', '请城管部门一周内修复。');
  await submit(o, '#instruction-form button[type=submit]');
  assert.match(await o.textContent('#actions'), /市级领导副市长/);

  // The person sees it, in plain words.
  await p.goto(`${server.base}/c/${code}`);
  const outcome = await p.textContent('#report-outcome');
  assert.match(outcome, /整理为社情民意信息/);
  assert.match(outcome, /采用层级：同级党委政府/);
  assert.match(outcome, /市级领导批示/);
  assert.doesNotMatch(outcome, /副市长/);
  await p.screenshot({ path: `${shots}phone-concern-report-outcome.png`, fullPage: true });
  for (const c of [member, office]) await c.ctx.close();
  await person.close();
});
