/** The viewer's HTTP API on the collector's viewer port: bad input is a 400 naming the parameter, unknown things are 404s, the rest answers. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startViewerFixture, type ViewerFixture } from './viewer-fixture.js';

let fx: ViewerFixture;
before(async () => {
  fx = await startViewerFixture({ invocations: 3000 });
});
after(async () => fx?.close());

async function call(path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(fx.url + path, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: await res.json().catch(() => null) };
}

test('dashboards are listed and served as the Grafana JSON', async () => {
  const list = await call('/api/dashboards');
  assert.equal(list.status, 200);
  assert.deepEqual(list.json.dashboards.map((d: { uid: string }) => d.uid).sort(), ['isotel-fleet-density', 'isotel-function-detail', 'isotel-latency']);
  assert.deepEqual(list.json.errors, []);
  const d = await call('/api/dashboards/isotel-latency');
  assert.equal(d.json.templating.list[0].type, 'datasource');
  const html = await fetch(fx.url + '/viewer/');
  assert.match(await html.text(), /importmap/);
  const echarts = await fetch(fx.url + '/viewer/vendor/echarts.js');
  assert.equal(echarts.status, 200);
  assert.ok(Number(echarts.headers.get('content-length')) > 500_000);
});

test('bad input is a 400 that names what was wrong', async () => {
  const cases: [string, unknown, RegExp][] = [
    ['/api/dashboards/isotel-latency/panels/3', { from: 'yesterday' }, /"from"/],
    ['/api/dashboards/isotel-latency/panels/3', { from: 'now', to: 'now-1h' }, /must be before/],
    ['/api/dashboards/isotel-latency/panels/3', { vars: { function: 42 } }, /variable "function"/],
    ['/api/dashboards/isotel-latency/panels/3', { maxDataPoints: -1 }, /maxDataPoints/],
    ['/api/dashboards/isotel-latency/panels/3', '{not json', /not a JSON object/],
  ];
  for (const [path, body, msg] of cases) {
    const r = await call(path, body);
    assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status}`);
    assert.equal(r.json.error.code, 'ISOTEL_ERR_VIEWER_BAD_REQUEST');
    assert.match(r.json.error.message, msg);
  }
  const badTrace = await call('/api/traces/not-a-trace');
  assert.equal(badTrace.status, 400);
  assert.match(badTrace.json.error.message, /32 lowercase hex/);
  const badLimit = await call('/api/traces?limit=0');
  assert.equal(badLimit.status, 400);
  assert.match(badLimit.json.error.message, /"limit"/);
});

test('unknown dashboards, panels and traces are 404s', async () => {
  assert.equal((await call('/api/dashboards/nope')).json.error.code, 'ISOTEL_ERR_DASHBOARD_NOT_FOUND');
  assert.equal((await call('/api/dashboards/isotel-latency/panels/999', {})).status, 404);
  const missing = await call('/api/traces/' + '0'.repeat(32));
  assert.equal(missing.status, 404);
});

test('a forged variable value cannot reach the SQL: it falls back to a real option', async () => {
  const r = await call('/api/dashboards/isotel-function-detail/panels/2', { vars: { function: "x' OR 1=1 --" } });
  assert.equal(r.status, 200);
  assert.match(r.json.frames[0].sql, /ServiceName = 'auth'/);
  assert.equal(r.json.frames[0].error, undefined);
});

test('traces: list, one trace with its spans and logs', async () => {
  const list = await call('/api/traces?from=now-24h&sort=slowest&limit=5&function=checkout');
  assert.equal(list.status, 200);
  assert.equal(list.json.traces.length, 5);
  const durations = list.json.traces.map((t: { duration_ns: number }) => t.duration_ns);
  assert.deepEqual(durations, [...durations].sort((a: number, b: number) => b - a));
  const one = await call(`/api/traces/${list.json.traces[0].trace_id}`);
  assert.equal(one.status, 200);
  assert.ok(one.json.spans.length >= 1);
  assert.equal(one.json.spans[0].parent_span_id, '');
  assert.equal(one.json.spans[0].resource['faas.name'], 'checkout');
});

test('a broken dashboard file is reported, and the other dashboards keep working', async () => {
  const { mkdtempSync, writeFileSync, copyFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { ViewerServer } = await import('../../collector/query/api.js');
  const { runReadOnly } = await import('../../collector/query/readonly.js');
  const { createLogger } = await import('../../common/log.js');
  const { createViewerPlugin } = await import('../../dashboards/viewer/server.js');
  const { DASHBOARD_DIR } = await import('../../dashboards/viewer/dashboards.js');
  const dir = mkdtempSync(join(tmpdir(), 'isotel-dash-broken-'));
  copyFileSync(join(DASHBOARD_DIR, 'latency.json'), join(dir, 'latency.json'));
  writeFileSync(join(dir, 'broken.json'), '{"uid": "x", "title": "broken", "panels": [ {');
  const server = new ViewerServer({ query: (sql, format = 'JSONEachRow') => runReadOnly(fx.loaded.engine, sql, format, { timeoutMs: 30_000, maxRows: 10_000 }) }, () => '', createLogger('t', 'warn'));
  server.register(createViewerPlugin({ dashboardDir: dir }));
  const port = await server.listen('127.0.0.1', 0);
  try {
    const list = (await (await fetch(`http://127.0.0.1:${port}/api/dashboards`)).json()) as { dashboards: { uid: string }[]; errors: { file: string; code: string; message: string }[] };
    assert.deepEqual(list.dashboards.map((d) => d.uid), ['isotel-latency']);
    assert.equal(list.errors.length, 1);
    assert.equal(list.errors[0]!.code, 'ISOTEL_ERR_DASHBOARD_INVALID');
    assert.match(list.errors[0]!.message, /broken\.json: not valid JSON/);
    const panel = await fetch(`http://127.0.0.1:${port}/api/dashboards/isotel-latency/panels/3`, { method: 'POST', body: '{}' });
    assert.equal(panel.status, 200);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
