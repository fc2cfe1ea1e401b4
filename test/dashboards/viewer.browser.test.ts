/**
 * The built-in viewer in headless Chromium (Debian's chromium, driven by playwright-core)
 * against the collector's viewer-port server over generated telemetry: every dashboard
 * loads and its charts hold real data, variables and the time range drive the queries,
 * auto-refresh re-queries, an empty range says "No data", and the waterfall opens from a
 * slow invocation with its cold-start phases, span attributes and logs.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startViewerFixture, type ViewerFixture } from './viewer-fixture.js';

// Callbacks passed to page.evaluate run in the browser; the Node compile target has no DOM types.
declare const document: any;
declare const location: any;
type HTMLElement = any;

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

describe('viewer in Chromium', () => {
  let fx: ViewerFixture;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    // Not skipped when missing: .ci/run installs it, and a browser test that cannot run must not pass.
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is not installed: apt-get install -y chromium`);
    fx = await startViewerFixture({ invocations: 60_000 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    page.on('pageerror', (e) => errors.push(e.message));
  });
  after(async () => {
    await browser?.close();
    await fx?.close();
  });

  async function open(hash: string, loaded: string): Promise<void> {
    await page.goto(`${fx.url}/viewer/#${hash}`);
    await page.waitForFunction((want) => document.body.dataset.loaded === want, loaded, { timeout: 60_000 });
  }

  /** Per panel: its state and, for charts, how many points ECharts holds. */
  async function panelStates(): Promise<{ id: string; type: string; title: string; state: string; points: number }[]> {
    return page.evaluate(async () => {
      const echarts = (await import('/viewer/vendor/echarts.js' as string)) as { getInstanceByDom(el: HTMLElement): { getOption(): { series?: { data?: unknown[] }[] } } | undefined };
      return [...(document.querySelectorAll('section.panel') as HTMLElement[])].map((p: HTMLElement) => {
        const body: HTMLElement = p.querySelector('.panel-body');
        const chart = echarts.getInstanceByDom(body);
        const points = chart ? (chart.getOption().series ?? []).reduce((n: number, s: { data?: unknown[] }) => n + (s.data?.filter((d) => d !== null && (Array.isArray(d) ? d[1] !== null : true)).length ?? 0), 0) : 0;
        return { id: p.dataset.panelId!, type: p.dataset.panelType!, title: p.dataset.title!, state: body.dataset.state ?? '', points };
      });
    });
  }

  for (const uid of ['isotel-fleet-density', 'isotel-latency', 'isotel-function-detail']) {
    test(`${uid}: every panel loads and draws real data`, async () => {
      await open(`/d/${uid}`, uid);
      const states = await panelStates();
      assert.ok(states.length >= 8, `${uid}: ${states.length} panels`);
      for (const s of states) {
        assert.equal(s.state, 'data', `${uid} panel "${s.title}" is ${s.state}`);
        if (s.type === 'timeseries' || s.type === 'barchart') assert.ok(s.points > 0, `${uid} "${s.title}" chart has points`);
      }
      // Stats show numbers, tables have rows.
      const stat = await page.locator('section.panel-stat .stat-value').first().textContent();
      assert.match(stat ?? '', /\d/);
      if (uid !== 'isotel-fleet-density') assert.ok((await page.locator('section.panel-table tbody tr').count()) > 0);
      assert.deepEqual(errors, []);
    });
  }

  test('a variable change re-queries with the new value (function detail)', async () => {
    await open('/d/isotel-function-detail?var-function=checkout', 'isotel-function-detail');
    const invocations = async (): Promise<string> => (await page.locator('section[data-title="Invocations"] .stat-value').textContent()) ?? '';
    const before = await invocations();
    assert.equal(await page.locator('.row-title').first().textContent(), 'checkout');
    await page.selectOption('select[name="var-function"]', 'geoip');
    await page.waitForFunction(() => location.hash.includes('var-function=geoip') && document.body.dataset.loaded === 'isotel-function-detail', null, { timeout: 60_000 });
    assert.equal(await page.locator('.row-title').first().textContent(), 'geoip');
    assert.notEqual(await invocations(), before, 'stat follows the variable');
  });

  test('the time range picker narrows every query; an empty range says "No data"', async () => {
    await open('/d/isotel-latency', 'isotel-latency');
    const requests: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/panels/')) requests.push(r.postData() ?? '');
    });
    await page.selectOption('#range', 'now-1h');
    await page.waitForFunction(() => location.hash.includes('from=now-1h') && document.body.dataset.loaded === 'isotel-latency', null, { timeout: 60_000 });
    assert.ok(requests.length > 0 && requests.every((b) => JSON.parse(b).from === 'now-1h'), 'panels re-queried with the new range');

    const from = Date.UTC(2001, 0, 1);
    await open(`/d/isotel-latency?from=${from}&to=${from + 3_600_000}`, 'isotel-latency');
    const states = await panelStates();
    for (const s of states) {
      // An aggregate over nothing is still an answer (0 invocations), as in Grafana; everything else says so.
      if (s.type === 'stat') assert.ok(s.state === 'nodata' || /^0/.test((await page.locator(`section[data-panel-id="${s.id}"] .stat-value`).textContent()) ?? ''), `stat "${s.title}" on an empty range`);
      else assert.equal(s.state, 'nodata', `"${s.title}" on an empty range`);
    }
    assert.equal(await page.locator('section.panel .no-data').first().textContent(), 'No data');
  });

  test('auto-refresh re-runs the panel queries', async () => {
    let count = 0;
    const onRequest = (r: { url(): string }): void => {
      if (r.url().includes('/panels/')) count++;
    };
    await open('/d/isotel-fleet-density?refresh=5s', 'isotel-fleet-density');
    page.on('request', onRequest);
    await page.waitForTimeout(6500);
    page.off('request', onRequest);
    assert.ok(count >= 10, `panels re-queried by auto-refresh (${count} requests)`);
  });

  test('the waterfall opens from a slow invocation, with span attributes and logs', async () => {
    await open('/d/isotel-function-detail?var-function=checkout', 'isotel-function-detail');
    const link = page.locator('section[data-title="Slowest invocations"] a.trace-link').first();
    const href = (await link.getAttribute('href'))!;
    await link.click();
    const id = href.replace('#/trace/', '');
    await page.waitForFunction((want) => document.body.dataset.loaded === want, `trace:${id}`, { timeout: 60_000 });
    assert.ok((await page.locator('.waterfall .wf-row[data-span-id]').count()) >= 1);
    await page.locator('.waterfall .wf-row[data-span-id]').first().click();
    const detail = page.locator('.wf-detail');
    assert.match((await detail.textContent()) ?? '', /faas\.coldstart/);
    assert.match((await detail.textContent()) ?? '', /faas\.name/);
    assert.ok((await page.locator('.trace-logs .log-row').count()) >= 1, 'the slow invocation logged');
  });

  test('the trace list opens a cold invocation whose waterfall shows the cold-start phases', async () => {
    await open('/traces?from=now-6h&function=pdf-render&sort=slowest', 'traces');
    const cold = page.locator('tr.trace-row', { has: page.locator('td.cold') }).first();
    const id = (await cold.getAttribute('data-trace-id'))!;
    await cold.click();
    await page.waitForFunction((want) => document.body.dataset.loaded === want, `trace:${id}`, { timeout: 60_000 });
    const names = await page.locator('.waterfall .wf-row[data-span-id]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.spanName));
    for (const n of ['isotel.coldstart', 'isotel.coldstart.acquire', 'isotel.coldstart.compile', 'isotel.coldstart.evaluate', 'isotel.coldstart.dispatch']) assert.ok(names.includes(n), `waterfall shows ${n}: ${names.join(', ')}`);
    await page.locator('.wf-row[data-span-name="isotel.coldstart.compile"]').click();
    assert.match((await page.locator('.wf-detail').textContent()) ?? '', /isotel\.code_cache\.hit/);
    assert.deepEqual(errors, []);
  });
});
