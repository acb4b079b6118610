import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp, migrateService } from '../../src/service/index.js';
import { type Browser, describeBrowser, launchBrowser } from '../support/browser.js';
import { usePostgres } from '../support/postgres.js';
import { principalWith } from '../support/service.js';

const pg = usePostgres();

/** Where to write screenshots for people (docs/images/ in the repository); none when unset. */
const SHOTS = process.env.STRATA_DOCS_SCREENSHOTS;

async function screenshot(page: Page, name: string, options: { fullPage?: boolean; clip?: { x: number; y: number; width: number; height: number } } = {}) {
  if (!SHOTS) return;
  const path = `${SHOTS}/${name}`;
  await mkdir(dirname(path), { recursive: true });
  await page.screenshot({ path, ...options });
}

/** How far the page scrolls sideways (0: it fits the window). */
const horizontalOverflow = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');

describeBrowser('/docs in a real browser (Chromium)', (executablePath) => {
  let app: FastifyInstance;
  let origin: string;
  let token: string;
  let browser: Browser;
  const foreign: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    await pg.withSession((d) => migrateService(d.db));
    app = await buildApp({ database: pg.database, logger: false });
    token = (await principalWith(pg.database.db, ['catalog:read', 'catalog:write'])).token;
    origin = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchBrowser(executablePath);
    const { host } = new URL(origin);
    await browser.context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.host === host) return route.continue();
      foreign.push(url.href);
      return route.abort('blockedbyclient');
    });
    browser.context.on('request', (request) => {
      const url = new URL(request.url());
      if ((url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'ws:' || url.protocol === 'wss:') && url.host !== host) {
        foreign.push(url.href);
      }
    });
    browser.context.on('weberror', (error) => problems.push(`page error: ${error.error().message}`));
    browser.context.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('lists every operation of /openapi.json, with examples, creates a product through "Try it out", and asks no other host for anything', async () => {
    const page = await browser.context.newPage();
    const response = await page.goto(`${origin}/docs`);
    expect(response?.status()).toBe(200);
    await page.locator('.opblock').first().waitFor();

    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const expected = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
    const listed = await page.$$eval('.opblock', (blocks) =>
      blocks.map((b) => `${b.querySelector('.opblock-summary-method')?.textContent} ${b.querySelector('.opblock-summary-path')?.getAttribute('data-path')}`),
    );
    expect(expected.length).toBeGreaterThanOrEqual(17);
    expect([...listed].sort()).toEqual([...expected].sort());
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await screenshot(page, 'api-reference.png', { fullPage: true });

    const create = page.locator('.opblock', { has: page.locator('.opblock-summary-method', { hasText: /^POST$/ }) }).filter({
      has: page.locator('.opblock-summary-path[data-path="/products"]'),
    });
    await create.locator('.opblock-summary').click();
    /** Where an element of the operation starts or ends, in page coordinates. */
    const top = (selector: string, edge: 'top' | 'bottom') =>
      create
        .locator(selector)
        .first()
        .evaluate((el, e) => el.getBoundingClientRect()[e] + (el.ownerDocument.defaultView?.scrollY ?? 0), edge);
    const example = create.locator('.responses-table .response[data-code="201"] .example, .responses-table .response[data-code="201"] .microlight').first();
    await example.waitFor();
    expect(await example.textContent()).toContain('"sku": "MUG-RED-350"');
    const opTop = await top('.opblock-summary', 'top');
    await screenshot(page, 'api-reference-operation.png', { fullPage: true, clip: { x: 0, y: opTop - 8, width: 1280, height: 1600 } });
    // "Authorize" (top of the page) takes the bearer token that "Try it out" then sends.
    await page.locator('.auth-wrapper button.authorize').click();
    await page.locator('#auth-bearer-value').fill(token);
    await page.locator('.auth-btn-wrapper button.authorize').click();
    await page.locator('.auth-btn-wrapper button.btn-done').click();
    await create.getByRole('button', { name: 'Try it out' }).click();
    const body = create.locator('textarea.body-param__text');
    expect(JSON.parse(await body.inputValue())).toMatchObject({ sku: 'MUG-RED-350', price: 1299, currency: 'EUR' });
    await body.fill(JSON.stringify({ sku: 'FROM-THE-DOCS-1', name: 'Made in the API reference', price: 250, currency: 'EUR', tags: ['docs'] }, null, 2));
    await create.getByRole('button', { name: 'Execute' }).click();
    const status = create.locator('.live-responses-table tbody .response-col_status').first();
    await status.waitFor();
    expect((await status.textContent())?.trim()).toBe('201');
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    const from = (await top('.opblock-section-request-body', 'top')) - 8;
    await screenshot(page, 'api-reference-try-it.png', {
      fullPage: true,
      clip: { x: 0, y: from, width: 1280, height: (await top('.live-responses-table', 'bottom')) - from + 8 },
    });

    const stored = (await app.inject({ method: 'GET', url: '/products?q=FROM-THE-DOCS-1', headers: { authorization: `Bearer ${token}` } })).json() as {
      items: { sku: string; name: string; price: number }[];
    };
    expect(stored.items).toEqual([expect.objectContaining({ sku: 'FROM-THE-DOCS-1', name: 'Made in the API reference', price: 250 })]);

    await page.close();
    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
  }, 120_000);
});
