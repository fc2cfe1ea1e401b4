/**
 * Hazard: what reaches the host from an isolate is not what the runtime meant to send
 * (user code tampering with builtins, a runtime/host version mismatch). The bridge
 * drops what does not match the protocol, keeps the rest, counts, never throws — one
 * bad function must not fail the shared exporter's batch for its neighbours.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter } from '@opentelemetry/sdk-logs';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createLogger } from '../../common/log.js';
import type { InvocationEvent } from '../../host/pool/events.js';
import { createAuthorMetrics } from '../../host/telemetry/author-metrics.js';
import { createTelemetryBridge } from '../../host/telemetry/bridge.js';
import { createLogPipeline } from '../../host/telemetry/logs.js';
import { traced } from './helpers.js';

const T = '0af7651916cd43dd8448eb211c80319c';
const good = (id: string) => [0, T, id, '', 1, '', 'good', 0, 10, 11, 0, '', ['k', 'v', 7, 'numeric key dropped', 'obj', { no: 1 }], [], [], 0, 0, 0, false];

test('malformed batches and records are dropped and counted; valid records of the same batch are kept', () => {
  const log = createLogger('malformed-test', 'error');
  const spans = new InMemorySpanExporter();
  const bridge = createTelemetryBridge({
    spanProcessor: new SimpleSpanProcessor(spans),
    logs: createLogPipeline({ baseUrl: 'http://127.0.0.1:9', exporter: new InMemoryLogRecordExporter() }),
    metrics: createAuthorMetrics({ baseUrl: 'http://127.0.0.1:9', intervalMs: 3_600_000, log }),
    resourceFor: () => resourceFromAttributes({ 'service.name': 'bad' }),
    log,
  });
  const hostSpan = { spanContext: () => ({ traceId: T, spanId: 'b7ad6b7169203331', traceFlags: 1 }), startTime: [1, 0] };
  const event = { instance: { fn: 'bad', version: 'v1', instanceId: 'bad-1', memoryLimitMb: 64 }, invocationId: 'i1', headers: [], startUnixNano: 0n } as unknown as InvocationEvent;
  const { sink } = bridge.invocationStarted(event, hostSpan as never);
  const batch = (s: unknown[]) => JSON.stringify({ v: 1, o: 1.7e12, f: true, sc: [['s', '', '']], s, i: [], p: [], d: [0, 0, 0, 0, 0] });
  assert.doesNotThrow(() => {
    sink.batch('i1', 'not json');
    sink.batch('i1', JSON.stringify({ v: 99 }));
    sink.batch('i1', batch([
      good('1111111111111111'),
      [0, 'NOT-HEX', '2222222222222222', '', 1, '', 'bad id', 0, 1, 2, 0, '', [], [], [], 0, 0, 0, false],
      [0, T, '3333333333333333', '', 1, '', 'bad time', 0, 'soon', 2, 0, '', [], [], [], 0, 0, 0, false],
      'a string',
      good('4444444444444444'),
    ]));
    sink.log({ invocationId: 'i1', severityNumber: 9, severityText: 'INFO', message: 'x', timeUnixNano: 1n }, 'zz', 'yy', 1);
  });
  const exported = spans.getFinishedSpans();
  assert.deepEqual(exported.map((s) => s.spanContext().spanId), ['1111111111111111', '4444444444444444']);
  assert.deepEqual(exported[0]!.attributes, { k: 'v' }, 'attributes that are not string-keyed primitives are skipped');
  assert.equal(bridge.badBatches, 5, 'two unreadable batches and three bad records');
});

test('a function replacing JSON.stringify cannot corrupt its drained telemetry', async (t) => {
  const h = await traced(`
import { trace } from '@opentelemetry/api';
export default { fetch() {
  JSON.stringify = () => '{"v":1,"s":[["forged"]]}';
  trace.getTracer('t').startSpan('after-tamper').end();
  return new Response('ok');
} };`);
  t.after(() => h.close());
  await h.invoke();
  const { spans } = await h.collect();
  assert.ok(spans.some((s) => s.name === 'after-tamper'));
  assert.equal(h.bridge.badBatches, 0);
});
