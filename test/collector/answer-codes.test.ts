/**
 * Every OTLP/HTTP answer code (OTLP specification): 200 (+ partial_success),
 * 400 undecodable, 404 unknown path, 413 over the body limit, 415 unknown content type
 * or encoding (429 over capacity: over-capacity.test.ts, one engine per process).
 * Error bodies are google.rpc.Status in the request's encoding.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { signalTypes } from '../../collector/decode/otlp.js';
import { startTestCollector, type TestCollector } from './helpers.js';

const Status = new protobuf.Type('Status').add(new protobuf.Field('code', 1, 'int32')).add(new protobuf.Field('message', 2, 'string'));

let c: TestCollector;
before(async () => {
  c = await startTestCollector({ ISOTEL_COLLECTOR_MAX_BODY_BYTES: '65536' });
});
after(async () => {
  await c.close();
});

function spans(n: number, pad = '') {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fn-codes' } }] },
        scopeSpans: [{ spans: Array.from({ length: n }, (_, i) => ({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: (i + 1).toString(16).padStart(16, '0'), name: 'x' + pad, startTimeUnixNano: '1', endTimeUnixNano: '2' })) }],
      },
    ],
  };
}
const proto = (o: object) => Buffer.from(signalTypes('traces').request.encode(signalTypes('traces').request.fromObject(o)).finish());

async function post(path: string, body: Buffer | string, headers: Record<string, string>) {
  const res = await fetch(c.otlp(path), { method: 'POST', headers, body });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

test('200: protobuf request, protobuf ExportTraceServiceResponse', async () => {
  const r = await post('/v1/traces', proto(spans(3)), { 'content-type': 'application/x-protobuf' });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/x-protobuf');
  assert.deepEqual(signalTypes('traces').response.toObject(signalTypes('traces').response.decode(r.body)), {});
});

test('200 with partial_success: metrics points without a timestamp are refused and counted', async () => {
  const body = {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fn-codes' } }] },
        scopeMetrics: [{ metrics: [{ name: 'm', gauge: { dataPoints: [{ asDouble: 1, timeUnixNano: '1700000000000000000' }, { asDouble: 2 }] } }] }],
      },
    ],
  };
  const r = await post('/v1/metrics', JSON.stringify(body), { 'content-type': 'application/json' });
  assert.equal(r.status, 200);
  const out = JSON.parse(r.body.toString()) as { partialSuccess: { rejectedDataPoints: number; errorMessage: string } };
  assert.equal(Number(out.partialSuccess.rejectedDataPoints), 1);
  assert.match(out.partialSuccess.errorMessage, /time_unix_nano = 0/);
});

test('400: undecodable protobuf and JSON, with a google.rpc.Status body', async () => {
  const bad = await post('/v1/traces', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), { 'content-type': 'application/x-protobuf' });
  assert.equal(bad.status, 400);
  const st = Status.toObject(Status.decode(bad.body)) as { code: number; message: string };
  assert.equal(st.code, 3);
  assert.match(st.message, /ISOTEL_ERR_OTLP_UNDECODABLE/);
  const badJson = await post('/v1/logs', '{"resourceLogs": [', { 'content-type': 'application/json' });
  assert.equal(badJson.status, 400);
  assert.match(JSON.parse(badJson.body.toString()).message, /invalid JSON/);
  const badId = await post('/v1/traces', JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'zz' }] }] }] }), { 'content-type': 'application/json' });
  assert.equal(badId.status, 400);
  assert.match(JSON.parse(badId.body.toString()).message, /expected a hex string/);
  const badGzip = await post('/v1/traces', Buffer.from('not gzip'), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
  assert.equal(badGzip.status, 400);
});

test('404 for an unknown path, 415 for an unknown content type or encoding', async () => {
  assert.equal((await post('/v1/profiles', 'x', { 'content-type': 'application/x-protobuf' })).status, 404);
  assert.equal((await post('/v1/traces', 'x', { 'content-type': 'text/plain' })).status, 415);
  assert.equal((await post('/v1/traces', 'x', { 'content-type': 'application/x-protobuf', 'content-encoding': 'br' })).status, 415);
});

test('413: a body over the limit, declared or after decompression', async () => {
  const big = proto(spans(2000, 'y'.repeat(40)));
  assert.ok(big.length > 65536);
  assert.equal((await post('/v1/traces', big, { 'content-type': 'application/x-protobuf' })).status, 413);
  const bomb = gzipSync(Buffer.alloc(10 * 65536));
  assert.ok(bomb.length < 65536);
  assert.equal((await post('/v1/traces', bomb, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' })).status, 413);
});
