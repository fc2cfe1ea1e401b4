/**
 * Author telemetry through the real parts: a real isolate (createIsotelSandbox with
 * the built runtime), the real bridge (host/telemetry/bridge.ts) with the real SDK
 * processors; only the OTLP exporters are replaced by in-memory ones so a test can
 * read what would have been sent. The host's invocation span is made the way
 * worker-telemetry.ts makes it.
 */
import { ROOT_CONTEXT, SpanKind, trace, type Context, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, InMemoryMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createLogger } from '../../common/log.js';
import type { ConsoleRecord, InvokeRequest, InvokeResponse } from '../../host/isolate/api.js';
import { createIsotelSandbox, type IsotelSandbox } from '../../host/isolate/sandbox.js';
import type { InstanceInfo, InvocationEvent } from '../../host/pool/events.js';
import { createAuthorMetrics, type AuthorMetrics } from '../../host/telemetry/author-metrics.js';
import { createTelemetryBridge, type TelemetryBridge } from '../../host/telemetry/bridge.js';
import { createLogPipeline } from '../../host/telemetry/logs.js';
import { DEFAULT_TELEMETRY_LIMITS, type TelemetryLimits } from '../../sdk/protocol/telemetry.js';

export interface Traced {
  readonly sandbox: IsotelSandbox;
  readonly bridge: TelemetryBridge;
  readonly spans: InMemorySpanExporter;
  readonly logs: InMemoryLogRecordExporter;
  readonly metricExporter: InMemoryMetricExporter;
  readonly metrics: AuthorMetrics;
  readonly console: ConsoleRecord[];
  /** Runs one invocation like the host does: invocation span → sandbox.invoke(trace) → waitUntil settled → span ended. */
  invoke(request?: Partial<InvokeRequest>, options?: { id?: string; traced?: boolean }): Promise<{ response: InvokeResponse; span: Span; body: string }>;
  /** Flushes logs and metrics; returns everything exported so far. */
  collect(): Promise<{ spans: ReadableSpan[]; logs: ReadableLogRecord[]; metrics: ResourceMetrics[] }>;
  close(): Promise<void>;
}

let seq = 0;
const propagator = new W3CTraceContextPropagator();

export async function traced(source: string, opts: { limits?: Partial<TelemetryLimits>; fn?: string; egressAllow?: string[]; processor?: SpanProcessor } = {}): Promise<Traced> {
  const log = createLogger('otel-test');
  const spans = new InMemorySpanExporter();
  const processor = opts.processor ?? new SimpleSpanProcessor(spans);
  const logExporter = new InMemoryLogRecordExporter();
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const logs = createLogPipeline({ baseUrl: 'http://127.0.0.1:9', exporter: logExporter });
  const metrics = createAuthorMetrics({ baseUrl: 'http://127.0.0.1:9', intervalMs: 3_600_000, log, exporter: metricExporter });
  const info: InstanceInfo = { fn: opts.fn ?? 'otel-test', version: 'v1', instanceId: `test-${process.pid}-${++seq}`, memoryLimitMb: 64 };
  const resource = resourceFromAttributes({ 'service.name': info.fn, 'service.version': info.version, 'faas.instance': info.instanceId, 'service.instance.id': info.instanceId });
  const bridge = createTelemetryBridge({ spanProcessor: processor, logs, metrics, resourceFor: () => resource, log, limits: { ...DEFAULT_TELEMETRY_LIMITS, ...opts.limits } });
  const hostProvider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  const tracer = hostProvider.getTracer('isotel.host');
  const consoleRecords: ConsoleRecord[] = [];
  const sandbox = await createIsotelSandbox({ memoryLimitMb: 64, onConsole: (r) => consoleRecords.push(r), ...(opts.egressAllow ? { egress: { allow: opts.egressAllow } } : {}) });
  await sandbox.load(source, { filename: `${info.fn}.js`, env: {} });

  return {
    sandbox, bridge, spans, logs: logExporter, metricExporter, metrics, console: consoleRecords,
    async invoke(request = {}, o = {}) {
      const req: InvokeRequest = { method: 'GET', url: `http://127.0.0.1:8787/${info.fn}/`, headers: [], body: null, ...request };
      const invocationId = o.id ?? `inv-${++seq}`;
      const headerGetter = { keys: (c: typeof req.headers) => c.map(([k]) => k), get: (c: typeof req.headers, k: string) => c.find(([n]) => n.toLowerCase() === k)?.[1] };
      const parent: Context = propagator.extract(ROOT_CONTEXT, req.headers, headerGetter);
      const span = tracer.startSpan(info.fn, { kind: SpanKind.SERVER }, parent);
      void trace;
      const event = { instance: info, invocationId, method: req.method, url: req.url, headers: req.headers, startUnixNano: 0n, coldStart: false } as InvocationEvent;
      const traceOpt = o.traced === false ? undefined : bridge.invocationStarted(event, span);
      const response = await sandbox.invoke(req, { invocationId, ...(traceOpt ? { trace: traceOpt } : {}) });
      let body = '';
      if (response.body instanceof Uint8Array) body = new TextDecoder().decode(response.body);
      else if (response.body) { const parts: Uint8Array[] = []; for await (const c of response.body) parts.push(c); body = Buffer.concat(parts).toString(); }
      await response.waitUntil;
      bridge.invocationEnded(event, span);
      span.end();
      return { response, span, body };
    },
    async collect() {
      await logs.flush();
      await metrics.flush();
      return { spans: spans.getFinishedSpans(), logs: logExporter.getFinishedLogRecords(), metrics: metricExporter.getMetrics() };
    },
    async close() {
      sandbox.dispose();
      await bridge.shutdown();
      await processor.shutdown().catch(() => {}); // a collector that is down fails the last flush: expected in those tests
    },
  };
}

/** Span by name (exactly one expected). */
export function one(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1) throw new Error(`expected one span named ${JSON.stringify(name)}, found ${found.length} among ${JSON.stringify(spans.map((s) => s.name))}`);
  return found[0]!;
}

/** The value of `isotel.telemetry.dropped` for `kind` in exported metrics (0 when absent). */
export function droppedMetric(metrics: readonly ResourceMetrics[], kind: string): number {
  let last = 0;
  for (const rm of metrics) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) {
    if (m.descriptor.name !== 'isotel.telemetry.dropped') continue;
    for (const p of m.dataPoints) if (p.attributes['isotel.telemetry.kind'] === kind) last = p.value as number;
  }
  return last;
}
