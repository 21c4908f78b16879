// Starts `lianxin serve --demo` on a free port with its own database and stops it after.
// E2E_DATABASE_URL selects PostgreSQL: each test file gets a fresh database named after it
// (`…_<pid>`, made with psql), so no file sees what another changed; default: a temp SQLite
// file.
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import jsQR from 'jsqr';

const root = resolve(import.meta.dirname, '..', '..');
const bin = process.env.LIANXIN_BIN || join(process.env.CARGO_TARGET_DIR || join(root, 'target'), 'debug', 'lianxin');

export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'lianxin-e2e-'));
  let url = `sqlite://${join(dir, 'e2e.db')}`;
  let dropDb = () => {};
  if (process.env.E2E_DATABASE_URL) {
    const base = new URL(process.env.E2E_DATABASE_URL);
    const name = `${base.pathname.slice(1)}_${process.pid}`;
    const admin = new URL(base);
    admin.pathname = '/postgres';
    execFileSync('psql', [admin.href, '-qc', `CREATE DATABASE ${name}`]);
    base.pathname = `/${name}`;
    url = base.href;
    dropDb = () => {
      try { execFileSync('psql', [admin.href, '-qc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]); } catch { /* left for the next run's clean-up */ }
    };
  }
  // E2E_LOG_DIR keeps each server's log (stderr: JSON lines, since it is not a terminal) for
  // scripts/check_logs.py, which looks through the whole suite's logs for personal data.
  const logDir = process.env.E2E_LOG_DIR;
  const env = { ...process.env, LIANXIN_DATABASE_URL: url, LIANXIN_LOG: logDir ? 'info,sqlx=warn,lianxin_service=debug' : 'warn' };
  const child = spawn(bin, ['serve', '--demo', '--addr', '127.0.0.1:0'], { cwd: dir, env });
  if (logDir) child.stderr.pipe(createWriteStream(join(logDir, `${process.pid}-${Date.now()}.log`)));
  let output = '';
  const base = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start:\n${output}`)), 60_000);
    const onData = (d) => {
      output += d.toString();
      const m = output.match(/连心已启动：(http:\/\/[0-9.:]+)/);
      if (m) { clearTimeout(timer); ok(m[1]); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`server exited ${code}:\n${output}`)); });
  });
  const stop = () => {
    child.removeAllListeners('exit');
    child.once('exit', dropDb);
    child.kill('SIGINT');
  };
  return { base, stop, output: () => output };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export const PHONE = { viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' };

export async function login(page, base, username) {
  await page.goto(`${base}/login`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', 'lianxin-demo');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}

export const DESK = { viewport: { width: 1280, height: 900 }, locale: 'zh-CN' };

// Click and wait for the page that follows.
export const submit = (page, selector) => Promise.all([page.waitForNavigation(), page.click(selector)]);

// A browser context signed in as `user` on `device`.
export async function signedIn(browser, base, user, device = PHONE) {
  const ctx = await browser.newContext(device);
  const page = await ctx.newPage();
  await login(page, base, user);
  return { ctx, page };
}

// Read the QR code shown in the image at `selector`, as a phone's camera would.
export async function readQr(page, selector) {
  await page.locator(selector).evaluate((img) => img.decode());
  const pixels = await page.evaluate((sel) => {
    const img = document.querySelector(sel);
    const c = document.createElement('canvas');
    c.width = 480; c.height = 480;
    const g = c.getContext('2d');
    g.fillStyle = '#fff'; g.fillRect(0, 0, 480, 480);
    g.drawImage(img, 0, 0, 480, 480);
    return Array.from(g.getImageData(0, 0, 480, 480).data);
  }, selector);
  const code = jsQR(Uint8ClampedArray.from(pixels), 480, 480);
  if (!code) throw new Error(`no QR code could be read from ${selector}`);
  return code.data;
}
