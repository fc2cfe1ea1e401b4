/**
 * Telemetry of an isolate worker process. Subscribes to the pool's lifecycle
 * channels (host/pool/events.ts) and turns them into OpenTelemetry spans: one
 * SERVER span per invocation under the instance's Resource, and on a cold start a
 * child `isotel.coldstart` span with one child per phase. The pool itself never
 * sees OpenTelemetry.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type HrTime, type Span, type TextMapGetter, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { Resolved } from '../../common/config.js';
import type { Logger } from '../../common/log.js';
import type { commonSchema } from '../../common/settings.js';
import { hrToUnixNano } from '../../common/time.js';
import { ATTR, HOST_SCOPE, SPAN } from '../../sdk/protocol/names.js';
import type { hostSchema } from '../config.js';
import type { ConsoleRecord, HeaderList } from '../isolate/api.js';
import { channels, type InstanceEvent, type InvocationEvent } from '../pool/events.js';
import type { IsolatePool } from '../pool/isolate-pool.js';
import type { InstanceManager } from '../pool/instances.js';
import { createSpanExporter, createSpanProcessor, otlpBaseUrl } from './exporters.js';
import { createAuthorMetrics } from './author-metrics.js';
import { createTelemetryBridge } from './bridge.js';
import { createLogPipeline } from './logs.js';
import { startHostMetrics } from './metrics.js';
import { instanceResource } from './resource.js';

export interface WorkerTelemetry {
  readonly onConsole: (record: ConsoleRecord) => void;
  /** Starts the density gauges over the worker's pool and instances. */
  observe(source: () => { instances: InstanceManager; pool: IsolatePool }): void;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

const headerGetter: TextMapGetter<HeaderList> = {
  keys: (carrier) => carrier.map(([k]) => k.toLowerCase()),
  get: (carrier, key) => carrier.find(([k]) => k.toLowerCase() === key)?.[1],
};

function hr(unixNano: bigint): HrTime {
  return [Number(unixNano / 1_000_000_000n), Number(unixNano % 1_000_000_000n)];
}

interface InvocationTelemetry {
  readonly span: Span;
  readonly context: Context;
}

export function startWorkerTelemetry(opts: { common: Resolved<typeof commonSchema>; host: Resolved<typeof hostSchema>; workerId: string; log: Logger }): WorkerTelemetry {
  const baseUrl = otlpBaseUrl(opts.host.otlpEndpoint, opts.common.bind, opts.common.otlpHttpPort);
  const hostMetrics = startHostMetrics(baseUrl, opts.workerId);
  const processor = createSpanProcessor(createSpanExporter(baseUrl), hostMetrics.meterProvider);
  const propagator = new W3CTraceContextPropagator();
  const tracers = new Map<string, { provider: BasicTracerProvider; tracer: Tracer }>();
  // Author telemetry from inside the isolates (bridge.ts): spans through the same processor, logs and metrics beside it.
  const bridge = createTelemetryBridge({
    spanProcessor: processor,
    logs: createLogPipeline({ baseUrl, selfObsMeterProvider: hostMetrics.meterProvider }),
    metrics: createAuthorMetrics({ baseUrl, intervalMs: Number(process.env.OTEL_METRIC_EXPORT_INTERVAL ?? 10_000), log: opts.log }),
    resourceFor: (instance) => instanceResource(instance, opts.workerId),
    log: opts.log,
  });

  const tracerFor = (event: InvocationEvent | InstanceEvent): Tracer => {
    const id = event.instance.instanceId;
    let entry = tracers.get(id);
    if (!entry) {
      // A provider per instance carries its Resource; all share one processor and exporter.
      const provider = new BasicTracerProvider({ resource: instanceResource(event.instance, opts.workerId), spanProcessors: [processor] });
      entry = { provider, tracer: provider.getTracer(HOST_SCOPE) };
      tracers.set(id, entry);
    }
    return entry.tracer;
  };

  const onStart = (message: unknown): void => {
    const event = message as InvocationEvent;
    const url = new URL(event.url);
    const parent = propagator.extract(ROOT_CONTEXT, event.headers, headerGetter);
    const span = tracerFor(event).startSpan(
      event.instance.fn,
      {
        kind: SpanKind.SERVER,
        startTime: hr(event.startUnixNano),
        attributes: {
          [ATTR.faasTrigger]: 'http',
          [ATTR.faasColdstart]: event.coldStart,
          [ATTR.faasInvocationId]: event.invocationId,
          [ATTR.httpRequestMethod]: event.method,
          [ATTR.urlPath]: url.pathname,
          [ATTR.urlScheme]: url.protocol.replace(':', ''),
          [ATTR.httpRoute]: `/${event.instance.fn}/*`,
          ...(url.search ? { [ATTR.urlQuery]: url.search.slice(1) } : {}),
        },
      },
      parent,
    );
    event.telemetry = { span, context: trace.setSpan(parent, span) } satisfies InvocationTelemetry;
    event.trace = bridge.invocationStarted(event, span);
  };

  const onEnd = (message: unknown): void => {
    const event = message as InvocationEvent;
    hostMetrics.recordInvocation(event);
    const t = event.telemetry as InvocationTelemetry | undefined;
    if (!t) return;
    const { span } = t;
    bridge.invocationEnded(event, span);
    const end = event.endHr !== undefined ? hr(hrToUnixNano(event.endHr)) : undefined;
    if (event.status !== undefined) span.setAttribute(ATTR.httpResponseStatusCode, event.status);
    if (event.cpuTimeNs !== undefined) span.setAttribute(ATTR.cpuTimeNs, Number(event.cpuTimeNs));
    if (event.error) {
      span.setAttribute(ATTR.errorCode, event.error.code);
      span.setAttribute(ATTR.errorType, String(event.error.details?.name ?? event.error.code));
      span.recordException({ name: String(event.error.details?.name ?? event.error.code), message: event.error.message, ...(typeof event.error.details?.stack === 'string' ? { stack: event.error.details.stack } : {}) });
      span.setStatus({ code: SpanStatusCode.ERROR, message: event.error.message });
    } else if (event.status !== undefined && event.status >= 500) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute(ATTR.errorType, String(event.status));
    }
    const phases = event.coldStartPhases;
    if (phases) {
      const tracer = tracerFor(event);
      const dispatch = phases.dispatch ?? [phases.evaluate[1], phases.evaluate[1]];
      const cold = tracer.startSpan(SPAN.coldStart, { kind: SpanKind.INTERNAL, startTime: hr(hrToUnixNano(phases.acquire[0])), attributes: { [ATTR.codeCacheHit]: phases.codeCacheHit, [ATTR.poolHit]: phases.poolHit, [ATTR.functionVersion]: event.instance.version } }, t.context);
      const coldContext = trace.setSpan(t.context, cold);
      const phase = (name: string, phaseName: string, range: readonly [bigint, bigint], attributes: Record<string, string | boolean> = {}): void => {
        tracer.startSpan(name, { kind: SpanKind.INTERNAL, startTime: hr(hrToUnixNano(range[0])), attributes: { [ATTR.coldStartPhase]: phaseName, ...attributes } }, coldContext).end(hr(hrToUnixNano(range[1])));
      };
      phase(SPAN.phaseAcquire, 'acquire', phases.acquire, { [ATTR.poolHit]: phases.poolHit });
      phase(SPAN.phaseCompile, 'compile', phases.compile, { [ATTR.codeCacheHit]: phases.codeCacheHit });
      phase(SPAN.phaseEvaluate, 'evaluate', phases.evaluate);
      phase(SPAN.phaseDispatch, 'dispatch', dispatch);
      cold.end(hr(hrToUnixNano(dispatch[1])));
    }
    span.end(end);
  };

  const onDispose = (message: unknown): void => {
    // Ended spans keep their own Resource reference; the provider is no longer needed.
    tracers.delete((message as InstanceEvent).instance.instanceId);
    bridge.instanceDisposed((message as InstanceEvent).instance.instanceId);
  };

  channels.invokeStart.subscribe(onStart);
  channels.invokeEnd.subscribe(onEnd);
  channels.instanceDispose.subscribe(onDispose);

  return {
    // Lines of traced invocations reach the bridge with their trace and span ids (TelemetrySink.log), not through here.
    onConsole: () => {},
    observe: (source) =>
      hostMetrics.observe(() => {
        const { instances, pool } = source();
        return {
          residentByFunction: () => instances.residentByFunction(),
          residentInstances: instances.residentInstances,
          deployedVersions: instances.deployedVersions,
          evictions: instances.evictions,
          scaledToZero: instances.scaledToZero,
          poolSize: pool.size,
          poolMisses: pool.misses,
        };
      }),
    flush: async () => {
      await Promise.all([processor.forceFlush(), hostMetrics.flush(), bridge.flush()]);
    },
    shutdown: async () => {
      channels.invokeStart.unsubscribe(onStart);
      channels.invokeEnd.unsubscribe(onEnd);
      channels.instanceDispose.unsubscribe(onDispose);
      await Promise.all([processor.shutdown(), hostMetrics.shutdown(), bridge.shutdown()]);
    },
  };
}
