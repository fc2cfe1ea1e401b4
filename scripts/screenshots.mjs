#!/usr/bin/env node
// Renders a PNG of each dashboard (and a trace waterfall) into docs/screenshots/ for the
// README: the built-in viewer, served the way the collector serves it, over generated
// host-shaped telemetry (test/dashboards/generate.ts), in headless Chromium.
// Usage: npm run build && node scripts/screenshots.mjs [--invocations N]
/* global document */ // page.waitForFunction callbacks run in the browser
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'docs/screenshots');
const i = process.argv.indexOf('--invocations');
const invocations = i > 0 ? Number(process.argv[i + 1]) : 400_000;
const { startViewerFixture } = await import(join(root, 'dist/test/dashboards/viewer-fixture.js'));

mkdirSync(out, { recursive: true });
const fx = await startViewerFixture({ invocations });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, deviceScaleFactor: 1 });
  const shoot = async (hash, loaded, file) => {
    await page.goto(`${fx.url}/viewer/#${hash}`);
    await page.waitForFunction((want) => document.body.dataset.loaded === want, loaded, { timeout: 120_000 });
    await page.waitForTimeout(300); // let ECharts finish its first frame
    await page.screenshot({ path: join(out, file), fullPage: true });
    console.error(`wrote docs/screenshots/${file}`);
  };
  await shoot('/d/isotel-fleet-density?refresh=off', 'isotel-fleet-density', 'fleet-density.png');
  await shoot('/d/isotel-latency?refresh=off', 'isotel-latency', 'latency.png');
  await shoot('/d/isotel-function-detail?var-function=pdf-render&refresh=off', 'isotel-function-detail', 'function-detail.png');
  // A slow cold invocation's waterfall, with its cold-start span opened.
  const res = await fetch(`${fx.url}/api/traces?from=now-6h&function=pdf-render&sort=slowest&limit=500`);
  const { traces } = await res.json();
  const cold = traces.find((t) => t.cold && t.status !== 'Error') ?? traces[0];
  await page.setViewportSize({ width: 1600, height: 760 });
  await page.goto(`${fx.url}/viewer/#/trace/${cold.trace_id}`);
  await page.waitForFunction((want) => document.body.dataset.loaded === want, `trace:${cold.trace_id}`, { timeout: 60_000 });
  await page.locator('.wf-row[data-span-name="isotel.coldstart.compile"]').click().catch(() => {});
  await page.screenshot({ path: join(out, 'trace-waterfall.png'), fullPage: true });
  console.error('wrote docs/screenshots/trace-waterfall.png');
} finally {
  await browser.close();
  await fx.close();
}
