// The dashboard in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core):
// opens URL/dashboard#token=TOKEN, waits for the fleet to render, and checks that the page
// logged no console errors, shows every expected device and the campaign's progress bar.
// Saves a screenshot. Prints one JSON line with what it saw; exits 1 on any failure.
//
//   node dashboard_check.mjs URL TOKEN SCREENSHOT.png CAMPAIGN_ID DEVICE...
import { chromium } from './node_modules/playwright-core/index.mjs';

const [url, token, screenshot, campaign, ...devices] = process.argv.slice(2);
const result = { console_errors: [], page_errors: [], devices_shown: [], campaign_progress: null, ok: false };
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  page.on('console', (m) => { if (m.type() === 'error') result.console_errors.push(m.text()); });
  page.on('pageerror', (e) => result.page_errors.push(String(e)));
  page.on('requestfailed', (r) => result.console_errors.push(`request failed: ${r.url()}`));
  await page.goto(`${url}/dashboard#token=${encodeURIComponent(token)}`);
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 20000 });
  // Every device row, and the campaign's progress bar with its counts.
  for (const d of devices) {
    await page.waitForSelector(`tr.device-row[data-device="${d}"]`, { timeout: 15000 });
  }
  result.devices_shown = await page.$$eval('tr.device-row', (rows) => rows.map((r) => r.dataset.device));
  const bar = await page.waitForSelector(`#progress-${campaign}`, { timeout: 15000 });
  result.campaign_progress = await bar.getAttribute('title');
  result.campaign_row = await page.textContent(`#campaign-${campaign}`);
  result.token_in_url = page.url().includes('token');
  result.charts = await page.$$eval('svg', (s) => s.length);
  await page.screenshot({ path: screenshot, fullPage: true });
  result.ok = result.console_errors.length === 0 && result.page_errors.length === 0 && !result.token_in_url &&
              devices.every((d) => result.devices_shown.includes(d));
} catch (e) {
  result.error = String(e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
