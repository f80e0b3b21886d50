// Swagger UI in a real browser: authorize with a token, fill the headers, "Try it out" on
// POST /api/invoices with the example body, and read back a 201. Saves a screenshot.
// Usage: PLAYWRIGHT_CORE=/path/to/node_modules/playwright-core node swagger-ui.mjs BASE_URL TOKEN SCREENSHOT.png
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');

const [baseUrl, token, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 2000 } });
  await page.goto(`${baseUrl}/docs`);

  await page.click('button.authorize');
  await page.fill('.modal-ux input', token);
  await page.click('.modal-ux button.authorize');
  await page.click('.modal-ux button.btn-done');

  const operation = page.locator('#operations-Invoices-create_invoice');
  await operation.locator('.opblock-summary').click();
  await operation.locator('button.try-out__btn').click();
  await operation.locator('tr[data-param-name="Wethod-Company"] input').fill('demo');
  await operation.locator('tr[data-param-name="Wethod-Version"] select').selectOption('2024-06-15');
  await operation.locator('button.execute').click();

  const status = operation.locator('.live-responses-table .response .response-col_status').first();
  await status.waitFor({ timeout: 15000 });
  const code = (await status.innerText()).trim();
  await operation.locator('.live-responses-table').scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshot, fullPage: true });
  if (!code.startsWith('201')) {
    const body = await operation.locator('.live-responses-table .response-col_description').first().innerText();
    throw new Error(`expected 201 from "Try it out", got ${code}: ${body}`);
  }
  console.log(`swagger-ui: "Try it out" on POST /api/invoices answered ${code}; screenshot ${screenshot}`);
} finally {
  await browser.close();
}
