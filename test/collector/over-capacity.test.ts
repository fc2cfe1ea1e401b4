/** Over capacity: a full durable queue answers 429 with Retry-After (OTLP: retryable, throttled). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signalTypes } from '../../collector/decode/otlp.js';
import { startTestCollector } from './helpers.js';

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

test('429 with Retry-After when the queue is full, counted in /metrics', async () => {
  // A collector whose queue holds 1 MiB and does not insert during the test.
  const small = await startTestCollector({ ISOTEL_COLLECTOR_MAX_QUEUE_BYTES: '1048576', ISOTEL_COLLECTOR_BATCH_DELAY_MS: '600000', ISOTEL_COLLECTOR_BATCH_ROWS: '10000000' });
  try {
    const body = proto(spans(500, 'z'.repeat(60)));
    let status = 200;
    let retryAfter: string | null = null;
    for (let i = 0; i < 100 && status === 200; i++) {
      const r = await fetch(small.otlp('/v1/traces'), { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
      status = r.status;
      retryAfter = r.headers.get('retry-after');
      await r.arrayBuffer();
    }
    assert.equal(status, 429);
    assert.match(retryAfter ?? '', /^\d+$/);
    const m = await (await fetch(`http://127.0.0.1:${small.handle.ports.viewer}/metrics`)).text();
    assert.match(m, /isotel_collector_refused_requests_total\{signal="traces"\} [1-9]/);
  } finally {
    await small.close();
  }
});
