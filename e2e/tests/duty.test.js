// The year of duty in a browser: the office publishes the duty menu; a member checks in to a
// consultation (by the QR code on the organiser's screen) and answers a concern; within
// seconds the member's archive shows both entries with their points and the menu shows them
// done. The office downloads the annual report as PDF and XLSX, and the test opens both: the
// PDF's text through pdftotext, the workbook's cells through its XML. Then two members of one
// sector submit their duty reports and grade each other in the democratic appraisal, which
// the office opens and closes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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


// Every row of one sheet of an XLSX file, as text cells (shared strings resolved).
function sheetRows(file, sheet) {
  const script = `
import sys, zipfile, re, json
z = zipfile.ZipFile(sys.argv[1])
ns = {'m': 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'}
import xml.etree.ElementTree as ET
wb = ET.fromstring(z.read('xl/workbook.xml'))
names = [s.get('name') for s in wb.find('m:sheets', ns)]
idx = names.index(sys.argv[2]) + 1
shared = []
if 'xl/sharedStrings.xml' in z.namelist():
    for si in ET.fromstring(z.read('xl/sharedStrings.xml')).findall('m:si', ns):
        shared.append(''.join(t.text or '' for t in si.iter('{%s}t' % ns['m'])))
rows = []
for r in ET.fromstring(z.read('xl/worksheets/sheet%d.xml' % idx)).iter('{%s}row' % ns['m']):
    cells = []
    for c in r.findall('m:c', ns):
        v = c.find('m:v', ns)
        t = c.get('t')
        if t == 's': cells.append(shared[int(v.text)])
        elif t == 'inlineStr': cells.append(''.join(x.text or '' for x in c.iter('{%s}t' % ns['m'])))
        else: cells.append(v.text if v is not None else '')
    rows.append(cells)
print(json.dumps({'sheets': names, 'rows': rows}, ensure_ascii=False))
`;
  return JSON.parse(execFileSync('python3', ['-c', script, file, sheet]).toString());
}

test('menu, automatic entries in the archive within seconds, annual report as PDF and XLSX', async () => {
  const year = new Date(Date.now() + 8 * 3600_000).getUTCFullYear();
  const office = await as('office', DESK);
  const o = office.page;

  // The office publishes this year's menu.
  await o.goto(`${server.base}/office/duty-menu?year=${year}`);
  const addItem = async (kind, title, evidence) => {
    await o.fill('#item-form input[name=title]', title);
    await o.selectOption('#item-form select[name=kind]', kind);
    await o.fill('#item-form input[name=evidence]', evidence);
    await submit(o, '#item-form button[type=submit]');
  };
  await addItem('activity.attended', '参加协商议事活动', '扫码签到');
  await addItem('concern.answered', '答复界别群众诉求', '诉求答复记录');
  await submit(o, '#publish-menu button');
  assert.match(await o.textContent('h1'), /已发布/);

  // The member checks in to the consultation by scanning the organiser's screen.
  const member = await as('member');
  const m = member.page;
  await o.goto(`${server.base}/office/activities`);
  await submit(o, '#activity-list a:has-text("老旧小区加装电梯协商议事会")');
  const activityPage = o.url();
  await submit(o, '#screen-link');
  await m.goto(await readQr(o, '#checkin-qr'));
  await submit(m, '#checkin-button');
  assert.match(await m.textContent('#checkin-result'), /签到成功/);
  // The organiser closes it, which fixes attendance.
  await o.goto(activityPage);
  await o.fill('#close-form textarea[name=summary]', '各方形成共识。');
  await submit(o, '#close-form button[type=submit]');

  // The member answers a concern from their inbox.
  await m.goto(`${server.base}/me/concerns?status=assigned`);
  await submit(m, 'a[href^="/me/concerns/"]:not([href*="?"])');
  await m.fill('#reply-form textarea[name=body]', '已联系社区，本周内答复处理结果。');
  await m.check('#reply-form input[value=answer]');
  await submit(m, '#reply-form button[type=submit]');

  // Within seconds both are in the archive, each with its points.
  const kinds = ['activity.attended', 'concern.answered'];
  let found = [];
  for (let i = 0; i < 20 && found.length < kinds.length; i++) {
    await m.goto(`${server.base}/me/archive`);
    found = [];
    for (const k of kinds) {
      if (await m.locator(`li[data-kind="${k}"] .points`).count()) found.push(k);
    }
    if (found.length < kinds.length) await m.waitForTimeout(500);
  }
  assert.deepEqual(found, kinds, 'both entries reached the archive');
  for (const k of kinds) {
    assert.match(await m.locator(`li[data-kind="${k}"] .points`).first().textContent(), /\d+(\.\d+)? 分/);
  }
  const overflow = await m.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the archive is ${overflow}px wider than the phone`);
  await m.screenshot({ path: `${shots}phone-archive.png`, fullPage: true });
  const name = (await m.textContent('h1')).split('的履职档案')[0].trim();
  const total = (await m.textContent('#total')).trim();
  await m.goto(`${server.base}/me/duty`);
  assert.equal((await m.textContent('#done-count')).trim(), '2');

  // The annual report, downloaded from the rankings page.
  await o.goto(`${server.base}/office/rankings`);
  const dir = mkdtempSync(join(tmpdir(), 'lianxin-annual-'));
  const fetch = async (selector, file) => {
    const [d] = await Promise.all([o.waitForEvent('download'), o.click(selector)]);
    const path = join(dir, file);
    await d.saveAs(path);
    return path;
  };
  const pdf = await fetch('#annual-pdf', 'annual.pdf');
  // Words in a typeset PDF may be spaced or wrapped: compare without white space.
  const text = execFileSync('pdftotext', [pdf, '-']).toString().replace(/\s+/g, '');
  for (const heading of [`${year}年度委员履职情况统计报告`, '各界别履职参与与积分分布', '界别群众诉求办理', '附表：每位委员的履职积分']) {
    assert.ok(text.includes(heading), heading);
  }
  assert.ok(text.includes(name), `the member ${name} is in the appendix`);

  const xlsx = await fetch('#annual-xlsx', 'annual.xlsx');
  const { sheets, rows } = sheetRows(xlsx, '委员积分');
  for (const s of ['概况', '界别', '群众诉求', '提案', '会议活动', '等次', '委员积分']) {
    assert.ok(sheets.includes(s), `sheet ${s} in ${sheets}`);
  }
  const row = rows.find((r) => r[0] === name);
  assert.ok(row, `the member's row in the appendix`);
  assert.equal(Number(row[3]), Number(total), 'the same total as the archive');
  await member.ctx.close();
  await office.ctx.close();
});

test('democratic appraisal: peers grade each other\'s duty reports in secret', async () => {
  const year = new Date(Date.now() + 8 * 3600_000).getUTCFullYear();
  // Every confirm() in these pages ("cannot be changed once submitted") is accepted.
  const open = async (user, device = PHONE) => {
    const s = await as(user, device);
    s.page.on('dialog', (d) => d.accept());
    return s;
  };
  const [a, b] = [await open('member'), await open('member2')];
  for (const { page } of [a, b]) {
    await page.goto(`${server.base}/me/duty-report?year=${year}`);
    await submit(page, '#statement-form button[value="1"]');
    assert.ok(await page.locator('#submitted').count(), 'the report is submitted');
  }
  const office = await open('office', DESK);
  const o = office.page;
  await o.goto(`${server.base}/office/appraisal?year=${year}`);
  assert.equal(await o.getAttribute('#stage', 'data-stage'), 'not_opened');
  await submit(o, '#open-form button');
  assert.equal(await o.getAttribute('#stage', 'data-stage'), 'open');

  // Each reads the other's report and grades it, once.
  const grade = async ({ page }, value) => {
    await page.goto(`${server.base}/me/appraisal?year=${year}`);
    assert.equal(await page.locator('#peers li').count(), 1, 'the one peer with a report');
    await submit(page, '#peers li a');
    assert.ok((await page.textContent('pre.statement')).length > 20, 'the peer\'s report is shown');
    await page.check(`#vote-form input[value=${value}]`);
    await submit(page, '#vote-form button[type=submit]');
    assert.match(await page.textContent('#peers li'), /已测评/);
  };
  await grade(a, 'competent');
  await grade(b, 'excellent');
  const overflow = await a.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the appraisal page is ${overflow}px wider than the phone`);

  // While the round is open the office sees who has been graded how many times, never the
  // grades; then it closes the round.
  await o.reload();
  const rows = o.locator('#appraisal-results tbody tr');
  assert.equal(await rows.count(), 2);
  for (let i = 0; i < 2; i++) {
    assert.match(await rows.nth(i).locator('.votes').textContent(), /^1 \/ \d+$/);
    assert.match(await rows.nth(i).locator('.hidden-tally').textContent(), /测评结束后公布/);
  }
  await submit(o, '#close-form button');
  assert.equal(await o.getAttribute('#stage', 'data-stage'), 'closed');
  // One vote each: a result would tell each member what the other chose, so none is shown.
  assert.match(await rows.nth(0).locator('.hidden-tally').textContent(), /不足3票/);
  await o.screenshot({ path: `${shots}desk-appraisal.png`, fullPage: true });

  // Each member sees that the round is over and why there is no result; the form is gone.
  for (const { page } of [a, b]) {
    await page.goto(`${server.base}/me/appraisal?year=${year}`);
    assert.match(await page.textContent('#my-result'), /共收到 1 票，不足3票/);
    assert.doesNotMatch(await page.textContent('#peers'), /并测评/, 'no more grading');
  }
  await a.page.screenshot({ path: `${shots}phone-appraisal.png`, fullPage: true });
  for (const s of [a, b, office]) await s.ctx.close();
});
