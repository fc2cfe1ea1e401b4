/** The read-only query API on the viewer port: results, and clear 400s for anything that is not a bounded read. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { formatTable, query } from '../../collector/query/client.js';
import { hasSecondStatement } from '../../collector/query/readonly.js';
import { startTestCollector, type TestCollector } from './helpers.js';

let c: TestCollector;
before(async () => {
  c = await startTestCollector({ ISOTEL_COLLECTOR_QUERY_TIMEOUT_MS: '2000', ISOTEL_COLLECTOR_QUERY_MAX_ROWS: '5' });
});
after(async () => {
  await c.close();
});

async function post(body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${c.handle.ports.viewer}/api/query`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

test('a SELECT returns meta, data, rows and elapsedMs', async () => {
  const r = await post({ sql: 'SELECT number AS n, toString(number) AS s FROM numbers(3)' });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.meta, [
    { name: 'n', type: 'UInt64' },
    { name: 's', type: 'String' },
  ]);
  assert.deepEqual(r.json.data, [
    { n: '0', s: '0' },
    { n: '1', s: '1' },
    { n: '2', s: '2' },
  ]);
  assert.equal(r.json.rows, 3);
  assert.equal(typeof r.json.elapsedMs, 'number');
  const compact = await post({ sql: 'SELECT 1 AS a, 2 AS b', format: 'JSONCompactEachRow' });
  assert.deepEqual(compact.json.data, [[1, 2]]);
});

test('rows past the limit are cut and flagged', async () => {
  const r = await post({ sql: 'SELECT number FROM numbers(100)' });
  assert.equal(r.status, 200);
  assert.equal(r.json.rows, 5);
  assert.equal(r.json.truncated, true);
});

test('SHOW and DESCRIBE run; writes, DDL and file() do not', async () => {
  assert.equal((await post({ sql: 'SHOW TABLES' })).status, 200);
  assert.equal((await post({ sql: 'DESCRIBE TABLE otel_traces' })).status, 200);
  for (const sql of ['DROP TABLE otel_traces', 'INSERT INTO otel_traces (TraceId) VALUES (1)', 'CREATE TABLE x (a UInt8) ENGINE = Memory', 'ALTER TABLE otel_traces DELETE WHERE 1', 'SET max_threads = 1']) {
    const r = await post({ sql });
    assert.equal(r.status, 400, sql);
    assert.equal(r.json.error.code, 'ISOTEL_ERR_QUERY_READONLY', sql);
  }
  const file = await post({ sql: "SELECT * FROM file('/etc/passwd', 'LineAsString')" });
  assert.equal(file.status, 400);
  assert.equal(file.json.error.code, 'ISOTEL_ERR_QUERY_READONLY');
  const two = await post({ sql: 'SELECT 1; DROP TABLE otel_traces' });
  assert.equal(two.json.error.code, 'ISOTEL_ERR_QUERY_READONLY');
  assert.equal((await post({ sql: 'SELECT count() FROM otel_traces' })).status, 200, 'the table is still there');
});

test('a query over the time limit is stopped with ISOTEL_ERR_QUERY_TIMEOUT', async () => {
  const r = await post({ sql: 'SELECT count() FROM numbers_mt(100000000000) WHERE sipHash64(number) = 7' });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, 'ISOTEL_ERR_QUERY_TIMEOUT');
});

test('bad requests get 400 with a hint', async () => {
  for (const [body, code] of [
    ['not json', 'ISOTEL_ERR_QUERY_BAD_REQUEST'],
    [{ nope: 1 }, 'ISOTEL_ERR_QUERY_BAD_REQUEST'],
    [{ sql: 'SELECT 1', format: 'CSV' }, 'ISOTEL_ERR_QUERY_BAD_REQUEST'],
    [{ sql: 'SELEC 1' }, 'ISOTEL_ERR_QUERY_FAILED'],
    [{ sql: 'SELECT no_such_column FROM otel_traces' }, 'ISOTEL_ERR_QUERY_FAILED'],
  ] as const) {
    const r = await post(body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.json.error.code, code, JSON.stringify(body));
    assert.ok(r.json.error.hint);
  }
});

test('isotel query goes through the running collector', async () => {
  const r = await query('SELECT 41 + 1 AS answer', { config: c.config });
  assert.deepEqual(r.data, [{ answer: 42 }]);
  assert.equal(formatTable(r), 'answer\n------\n42\n(1 row)');
});

test('statement splitting ignores semicolons in strings and comments', () => {
  assert.equal(hasSecondStatement("SELECT ';' -- ; \n"), false);
  assert.equal(hasSecondStatement('SELECT 1; '), false);
  assert.equal(hasSecondStatement('SELECT 1 /* ; */; SELECT 2'), true);
});

test('self-telemetry rows land in otel_metrics_* without counting as received OTLP', async () => {
  const { SelfTelemetry } = await import('../../collector/telemetry/self.js');
  assert.equal(typeof SelfTelemetry, 'function');
  const before = await (await fetch(`http://127.0.0.1:${c.handle.ports.viewer}/metrics`)).text();
  const requests = /isotel_collector_requests_total\{signal="metrics"\} (\d+)/.exec(before)?.[1];
  // The collector writes its own rows every 10 s; wait for the first ones.
  const n = await c.waitFor("SELECT count() FROM otel_metrics_gauge WHERE ServiceName = 'isotel-collector' AND MetricName = 'isotel.collector.queue.bytes'", 1, 15_000);
  assert.ok(n >= 1);
  const after = await (await fetch(`http://127.0.0.1:${c.handle.ports.viewer}/metrics`)).text();
  assert.equal(/isotel_collector_requests_total\{signal="metrics"\} (\d+)/.exec(after)?.[1], requests);
});
