/**
 * Issue 2's end-to-end slice, against the real processes: `isotel up` (host +
 * collector + embedded ClickHouse), two requests to the hello example, and within
 * 5 s `isotel query` shows both invocation spans — cold then warm — and the
 * cold-start child span with its phases.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, isotel, runIsotel, tempDir, type Running } from '../helpers/processes.js';

let up: Running;
let helloUrl: string;
let viewerPort: string;
const dataDir = tempDir();

before(async () => {
  up = runIsotel(['up', '--data-dir', dataDir, '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--viewer-port', '0']);
  await up.waitFor(/isotel is up/, 120_000);
  helloUrl = (await up.waitFor(/^\s+(?:functions\s+)?hello\s+(http:\S+)/m))[1]!;
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

test('two requests to hello answer, and both invocations land in otel_traces with cold-start spans', async () => {
  for (const name of ['first', 'second']) {
    const res = await fetch(`${helloUrl}?name=${name}`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), `Hello, ${name}!\n`);
  }
  const requestsDone = Date.now();

  type Row = { SpanId: string; ParentSpanId: string; TraceId: string; SpanName: string; SpanKind: string; coldstart: string; status: string; path: string; fn: string; version: string };
  const invocations = await eventually(async () => {
    const rows = await query<Row>(
      `SELECT SpanId, ParentSpanId, TraceId, SpanName, SpanKind, SpanAttributes['faas.coldstart'] AS coldstart, SpanAttributes['http.response.status_code'] AS status, SpanAttributes['url.path'] AS path, ResourceAttributes['faas.name'] AS fn, ResourceAttributes['faas.version'] AS version FROM otel_traces WHERE ResourceAttributes['faas.name'] = 'hello' AND SpanKind = 'Server' ORDER BY Timestamp`,
    );
    return rows.length >= 2 ? rows : undefined;
  }, 5_000 + 10_000);
  const seenAfterMs = Date.now() - requestsDone;
  assert.equal(invocations.length, 2);
  assert.deepEqual(invocations.map((r) => r.coldstart), ['true', 'false']);
  for (const r of invocations) {
    assert.equal(r.SpanName, 'hello');
    assert.equal(r.status, '200');
    assert.equal(r.path, '/hello/');
    assert.match(r.TraceId, /^[0-9a-f]{32}$/);
    assert.match(r.SpanId, /^[0-9a-f]{16}$/);
  }
  // Allow the polling interval on top of the 5 s; report the real figure.
  assert.ok(seenAfterMs < 5_000 + 1_000, `spans became queryable after ${seenAfterMs} ms`);

  const cold = invocations[0]!;
  const children = await query<{ SpanName: string; ParentSpanId: string; SpanId: string; phase: string; hit: string }>(
    `SELECT SpanName, ParentSpanId, SpanId, SpanAttributes['isotel.coldstart.phase'] AS phase, SpanAttributes['isotel.code_cache.hit'] AS hit FROM otel_traces WHERE TraceId = '${cold.TraceId}' AND SpanKind = 'Internal' ORDER BY Timestamp, SpanName`,
  );
  const coldSpan = children.find((c) => c.SpanName === 'isotel.coldstart');
  assert.ok(coldSpan, `no isotel.coldstart span in ${JSON.stringify(children)}`);
  assert.equal(coldSpan.ParentSpanId, cold.SpanId);
  const phases = children.filter((c) => c.ParentSpanId === coldSpan.SpanId).map((c) => c.phase);
  assert.deepEqual(phases.sort(), ['acquire', 'compile', 'dispatch', 'evaluate']);
  assert.equal(children.find((c) => c.phase === 'compile')?.hit, 'true', 'the deploy made code cache, so the cold start compiles from it');

  const warm = invocations[1]!;
  const warmChildren = await query<{ n: string }>(`SELECT count() AS n FROM otel_traces WHERE TraceId = '${warm.TraceId}' AND SpanName LIKE 'isotel.coldstart%'`);
  assert.equal(Number(warmChildren[0]!.n), 0, 'a warm invocation has no cold-start spans');
});

test('unknown function: 404 with a JSON error body', async () => {
  const res = await fetch(new URL('/no-such-function/x', helloUrl));
  assert.equal(res.status, 404);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'ISOTEL_ERR_FUNCTION_NOT_FOUND');
  assert.match(body.error.message, /no-such-function/);
});

test('SIGTERM stops both processes cleanly', async () => {
  const { code } = await up.stop('SIGTERM');
  assert.equal(code, 0, up.stderr().slice(-3000));
});
