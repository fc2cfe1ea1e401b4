/**
 * Issue 5's end-to-end test against the real processes: `isotel up` (host +
 * collector + embedded ClickHouse) with the examples deployed. A request carrying a
 * `traceparent` hits `checkout` (function A), which creates a span, logs a line and
 * fetches `inventory` (function B) through the host's gateway URL. In ClickHouse one
 * trace holds A's invocation span (parented to the incoming context), A's author
 * span, A's CLIENT span, B's invocation span and B's cold-start spans, each under the
 * right service.name; otel_logs holds A's line with the same trace and span ids; A's
 * metrics are in otel_metrics_* under A's service.name.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { eventually, isotel, runIsotel, tempDir, type Running } from '../helpers/processes.js';

let up: Running;
let gateway: string;
let viewerPort: string;
const dataDir = tempDir();

/** The gateway needs a known port so functions' fetches to it are dispatched internally (worker: gatewayOrigin). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

before(async () => {
  const port = await freePort();
  up = runIsotel(['up', '--data-dir', dataDir, '--port', String(port), '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--viewer-port', '0'], { OTEL_METRIC_EXPORT_INTERVAL: '500' });
  await up.waitFor(/isotel is up/, 120_000);
  await up.waitFor(/checkout\s+http:/);
  gateway = `http://127.0.0.1:${port}`;
  viewerPort = (await up.waitFor(/dashboards\s+http:\/\/[^:]+:(\d+)\//))[1]!;
});

after(async () => {
  await up?.stop();
});

async function query<T>(sql: string): Promise<T[]> {
  const r = await isotel(['query', '--viewer-port', viewerPort, '--data-dir', dataDir, '--format', 'json', sql]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T[];
}

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';
const BOOM_TRACE = '1af7651916cd43dd8448eb211c80319d';

test('one trace holds A\'s invocation, author and CLIENT spans and B\'s invocation and cold-start spans; A\'s log line carries the ids', async () => {
  const res = await fetch(`${gateway}/checkout/?sku=tea&qty=2`, { headers: { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'rojo=00f067aa0ba902b7' } });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  assert.deepEqual(JSON.parse(text), { sku: 'tea', qty: 2, total: 9, available: 120 });

  type Row = { ServiceName: string; SpanName: string; SpanKind: string; SpanId: string; ParentSpanId: string; ScopeName: string; TraceState: string; channel: string };
  const rows = await eventually(async () => {
    const r = await query<Row>(`SELECT ServiceName, SpanName, SpanKind, SpanId, ParentSpanId, ScopeName, TraceState, SpanAttributes['shop.channel'] AS channel FROM otel_traces WHERE TraceId = '${TRACE}' ORDER BY Timestamp`);
    return r.some((x) => x.SpanName === 'inventory.lookup') && r.some((x) => x.SpanName === 'checkout.price-cart') && r.filter((x) => x.SpanName === 'isotel.coldstart').length >= 2 ? r : undefined;
  }, 20_000);
  const find = (pred: (r: Row) => boolean, what: string): Row => {
    const found = rows.filter(pred);
    assert.equal(found.length, 1, `${what}: expected one span, got ${JSON.stringify(found)} in ${JSON.stringify(rows.map((r) => [r.ServiceName, r.SpanName, r.SpanKind]))}`);
    return found[0]!;
  };
  const aInvocation = find((r) => r.ServiceName === 'checkout' && r.SpanKind === 'Server', "A's invocation span");
  assert.equal(aInvocation.ParentSpanId, PARENT, 'A continues the incoming trace');
  assert.equal(aInvocation.TraceState, 'rojo=00f067aa0ba902b7');
  const aAuthor = find((r) => r.ServiceName === 'checkout' && r.SpanName === 'checkout.price-cart', "A's author span");
  assert.equal(aAuthor.ParentSpanId, aInvocation.SpanId);
  assert.equal(aAuthor.ScopeName, 'checkout');
  assert.equal(aAuthor.SpanKind, 'Internal');
  const aClient = find((r) => r.ServiceName === 'checkout' && r.SpanKind === 'Client', "A's CLIENT span");
  assert.equal(aClient.ParentSpanId, aAuthor.SpanId);
  assert.equal(aClient.SpanName, 'GET');
  const bInvocation = find((r) => r.ServiceName === 'inventory' && r.SpanKind === 'Server', "B's invocation span");
  assert.equal(bInvocation.ParentSpanId, aClient.SpanId, "B's invocation is a child of A's CLIENT span");
  const bCold = find((r) => r.ServiceName === 'inventory' && r.SpanName === 'isotel.coldstart', "B's cold-start span");
  assert.equal(bCold.ParentSpanId, bInvocation.SpanId);
  const bPhases = rows.filter((r) => r.ParentSpanId === bCold.SpanId).map((r) => r.SpanName).sort();
  assert.deepEqual(bPhases, ['isotel.coldstart.acquire', 'isotel.coldstart.compile', 'isotel.coldstart.dispatch', 'isotel.coldstart.evaluate']);
  for (const r of rows.filter((x) => x.SpanName.startsWith('isotel.coldstart'))) assert.ok(['checkout', 'inventory'].includes(r.ServiceName));
  const bAuthor = find((r) => r.SpanName === 'inventory.lookup', "B's author span");
  assert.equal(bAuthor.ServiceName, 'inventory');
  assert.equal(bAuthor.ParentSpanId, bInvocation.SpanId);
  assert.equal(bAuthor.channel, 'web', "A's baggage reached B");

  type Log = { ServiceName: string; Body: string; TraceId: string; SpanId: string; SeverityText: string; SeverityNumber: number; ScopeName: string };
  const logs = await eventually(async () => {
    const r = await query<Log>(`SELECT ServiceName, Body, TraceId, SpanId, SeverityText, SeverityNumber, ScopeName FROM otel_logs WHERE TraceId = '${TRACE}'`);
    return r.length ? r : undefined;
  }, 20_000);
  assert.equal(logs.length, 1, JSON.stringify(logs));
  const line = logs[0]!;
  assert.equal(line.ServiceName, 'checkout');
  assert.equal(line.Body, 'priced 2 × tea = 9 EUR');
  assert.equal(line.TraceId, TRACE);
  assert.equal(line.SpanId, aAuthor.SpanId, 'the log record carries the active span');
  assert.equal(line.SeverityText, 'INFO');
  assert.equal(Number(line.SeverityNumber), 9);

  type Metric = { ServiceName: string; MetricName: string; Value: number; outcome: string };
  const sums = await eventually(async () => {
    const r = await query<Metric>(`SELECT ServiceName, MetricName, Value, Attributes['shop.outcome'] AS outcome FROM otel_metrics_sum WHERE MetricName = 'checkout.orders' ORDER BY TimeUnix DESC LIMIT 1`);
    return r.length ? r : undefined;
  }, 20_000);
  assert.equal(sums[0]!.ServiceName, 'checkout');
  assert.equal(sums[0]!.outcome, 'priced');
  assert.equal(Number(sums[0]!.Value), 1);
  const hist = await eventually(async () => {
    const r = await query<{ ServiceName: string; Count: string; Sum: number }>(`SELECT ServiceName, Count, Sum FROM otel_metrics_histogram WHERE MetricName = 'checkout.cart_value' LIMIT 1`);
    return r.length ? r : undefined;
  }, 20_000);
  assert.equal(hist[0]!.ServiceName, 'checkout');
  assert.equal(Number(hist[0]!.Count), 1);
  assert.equal(Number(hist[0]!.Sum), 9);

  // The shared span and log queues report what they processed (and, when full, dropped) as the SDK's own metrics.
  const selfObs = await eventually(async () => {
    const r = await query<{ MetricName: string }>(`SELECT DISTINCT MetricName FROM otel_metrics_sum WHERE ServiceName = 'isotel-host' AND MetricName LIKE 'otel.sdk.processor.%'`);
    const names = r.map((x) => x.MetricName);
    return names.includes('otel.sdk.processor.span.processed') && names.includes('otel.sdk.processor.log.processed') ? names : undefined;
  }, 20_000);
  for (const name of ['otel.sdk.processor.span.queue.capacity', 'otel.sdk.processor.log.queue.capacity']) assert.ok(selfObs.includes(name), `${name} in ${selfObs.join(', ')}`);
});

test('a handler that throws: ERROR invocation span with an exception event (type, message, stacktrace), 500 with a JSON error', async () => {
  const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  const source = "import { trace } from '@opentelemetry/api';\nexport default { async fetch() { trace.getTracer('boom').startSpan('before-throw').end(); throw new TypeError('no such order'); } };";
  const dep = await fetch(`${gateway}/_isotel/functions/boom`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ source }) });
  assert.equal(dep.status < 300, true, await dep.text());
  const res = await fetch(`${gateway}/boom/`, { headers: { traceparent: `00-${BOOM_TRACE}-${PARENT}-01` } });
  assert.equal(res.status, 500);
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'ISOTEL_ERR_HANDLER_THREW');
  assert.match(body.error.message, /no such order/);
  type Row = { SpanName: string; SpanKind: string; StatusCode: string; events: string[]; types: string[]; messages: string[]; stacks: string[] };
  const rows = await eventually(async () => {
    const r = await query<Row>(`SELECT SpanName, SpanKind, StatusCode, Events.Name AS events, arrayMap(a -> a['exception.type'], Events.Attributes) AS types, arrayMap(a -> a['exception.message'], Events.Attributes) AS messages, arrayMap(a -> a['exception.stacktrace'], Events.Attributes) AS stacks FROM otel_traces WHERE TraceId = '${BOOM_TRACE}'`);
    return r.some((x) => x.SpanKind === 'Server') && r.some((x) => x.SpanName === 'before-throw') ? r : undefined;
  }, 20_000);
  const server = rows.find((r) => r.SpanKind === 'Server')!;
  assert.equal(server.StatusCode, 'Error');
  const i = server.events.indexOf('exception');
  assert.ok(i >= 0, JSON.stringify(server));
  assert.equal(server.types[i], 'TypeError');
  assert.match(server.messages[i]!, /no such order/);
  assert.match(server.stacks[i]!, /boom/);
});
