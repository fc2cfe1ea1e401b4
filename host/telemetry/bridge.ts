/**
 * The host side of author telemetry (issue 5). Pipeline stages, in order:
 *
 *   ingest   — the isolate drains ended spans and metric measurements as one JSON
 *              batch per invocation (sdk/protocol/telemetry.ts), and console lines of
 *              traced invocations with their trace and span ids;
 *   process  — each span gets its instance's Resource (built once per instance) and the
 *              scope the author named; guard-rail drops become invocation-span
 *              attributes and the `isotel.telemetry.dropped` metric;
 *   export   — spans go to the worker's ONE shared BatchSpanProcessor/OTLP exporter
 *              (the same one the invocation spans use), log records to the shared log
 *              processor (logs.ts), measurements to the per-version meters collected by
 *              one loop and one exporter (author-metrics.ts).
 *
 * Nothing here blocks or fails an invocation: every queue is bounded (the SDK
 * processors drop and count when the collector is down) and a bad batch is dropped,
 * counted and logged once.
 */
import { TraceFlags, createTraceState, type Attributes, type HrTime, type Link, type Span, type SpanContext } from '@opentelemetry/api';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { Logger } from '@opentelemetry/api-logs';
import type { Logger as IsotelLogger } from '../../common/log.js';
import { ATTR, RESOURCE } from '../../sdk/protocol/names.js';
import { DEFAULT_TELEMETRY_LIMITS, TELEMETRY_VERSION, limitsKey, traceArgs, type DropCounts, type EventRecord, type FlatAttributes, type LinkRecord, type SpanRecord, type TelemetryBatch, type TelemetryLimits } from '../../sdk/protocol/telemetry.js';
import type { ConsoleRecord, HeaderList, InvokeTrace, TelemetrySink } from '../isolate/api.js';
import type { InstanceInfo, InvocationEvent } from '../pool/events.js';
import { toAttributes, type AuthorMetrics } from './author-metrics.js';
import type { LogPipeline } from './logs.js';

export interface TelemetryBridgeOptions {
  /** The worker's shared span processor (the one the invocation spans go through). */
  readonly spanProcessor: SpanProcessor;
  readonly logs: LogPipeline;
  readonly metrics: AuthorMetrics;
  /** The Resource of a function instance (host/telemetry/resource.ts). */
  readonly resourceFor: (instance: InstanceInfo) => Resource;
  readonly log: IsotelLogger;
  readonly limits?: TelemetryLimits;
}

export interface TelemetryBridge {
  /** invoke:start — what the sandbox needs to trace the invocation under `span` (the invocation span). */
  invocationStarted(event: InvocationEvent, span: Span): InvokeTrace;
  /** invoke:end, before the invocation span ends — puts this invocation's drop counts on it. */
  invocationEnded(event: InvocationEvent, span: Span): void;
  instanceDisposed(instanceId: string): void;
  /** Batches that could not be read (never expected: a runtime/host version mismatch). */
  readonly badBatches: number;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Unix time of `origin + rel` milliseconds as HrTime, without losing sub-microsecond precision to one big double. */
function hrAt(originSec: number, originRemMs: number, rel: number): HrTime {
  const ms = originRemMs + rel;
  const whole = Math.floor(ms / 1000);
  let ns = Math.round((ms - whole * 1000) * 1e6);
  let sec = originSec + whole;
  if (ns >= 1e9) { sec += 1; ns -= 1e9; }
  return [sec, ns];
}
function hrDiff(a: HrTime, b: HrTime): HrTime {
  let sec = b[0] - a[0];
  let ns = b[1] - a[1];
  if (ns < 0) { sec -= 1; ns += 1e9; }
  return [sec, ns];
}
function traceStateOf(s: string): SpanContext['traceState'] {
  if (!s) return undefined;
  try { return createTraceState(s); } catch { return undefined; }
}

const UNKNOWN_SCOPE = { name: 'unknown' };
const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const finite = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);
/** Ids checked by the previous record (spans of a batch mostly share them). */
let lastValidTrace = '';
let lastValidParent = '';

/**
 * The runtime builds span records, but user code can tamper with the builtins it uses: the host re-checks
 * what would otherwise fail the shared exporter's batch for every function (ids, numbers, shapes).
 */
function validRecord(r: unknown): r is SpanRecord {
  if (!Array.isArray(r) || r.length !== 19) return false;
  const [scope, traceId, spanId, parentSpanId, traceFlags, traceState, name, kind, startMs, endMs, statusCode, statusMessage, attrs, events, links] = r as unknown[];
  return Number.isInteger(scope) && typeof traceId === 'string' && (traceId === lastValidTrace || (TRACE_ID.test(traceId) && (lastValidTrace = traceId) !== '')) && typeof spanId === 'string' && SPAN_ID.test(spanId)
    && (parentSpanId === '' || parentSpanId === lastValidParent || (typeof parentSpanId === 'string' && SPAN_ID.test(parentSpanId) && (lastValidParent = parentSpanId) !== '')) && Number.isInteger(traceFlags) && typeof traceState === 'string'
    && typeof name === 'string' && Number.isInteger(kind) && (kind as number) >= 0 && (kind as number) <= 4 && finite(startMs) && finite(endMs)
    && (statusCode === 0 || statusCode === 1 || statusCode === 2) && typeof statusMessage === 'string' && Array.isArray(attrs)
    && Array.isArray(events) && events.every((e) => Array.isArray(e) && typeof e[0] === 'string' && finite(e[1]))
    && Array.isArray(links) && links.every((l) => Array.isArray(l) && typeof l[0] === 'string' && TRACE_ID.test(l[0]) && typeof l[1] === 'string' && SPAN_ID.test(l[1]));
}

/** A span recorded in an isolate, as the SDK's processors and exporters read it (ReadableSpan). */
class DrainedSpan implements ReadableSpan {
  readonly ended = true;
  readonly duration: HrTime;
  readonly #sc: SpanContext;
  constructor(
    readonly name: string,
    readonly kind: number,
    sc: SpanContext,
    readonly parentSpanContext: SpanContext | undefined,
    readonly startTime: HrTime,
    readonly endTime: HrTime,
    readonly status: { code: number; message?: string },
    readonly attributes: Attributes,
    readonly links: Link[],
    readonly events: TimedEvent[],
    readonly resource: Resource,
    readonly instrumentationScope: { name: string; version?: string; schemaUrl?: string },
    readonly droppedAttributesCount: number,
    readonly droppedEventsCount: number,
    readonly droppedLinksCount: number,
  ) {
    this.#sc = sc;
    this.duration = hrDiff(startTime, endTime);
  }
  spanContext(): SpanContext {
    return this.#sc;
  }
}

interface InstanceState {
  readonly info: InstanceInfo;
  readonly resource: Resource;
  readonly metricsKey: string;
  readonly metricsResource: () => Resource;
  logger: Logger | undefined;
  readonly sink: TelemetrySink;
  scopes: Array<{ name: string; version?: string; schemaUrl?: string }>;
}

interface LiveInvocation {
  readonly drops: DropCounts;
}

export function createTelemetryBridge(options: TelemetryBridgeOptions): TelemetryBridge {
  const limitsText = limitsKey(options.limits ?? DEFAULT_TELEMETRY_LIMITS);
  const instances = new Map<string, InstanceState>();
  const live = new Map<string, LiveInvocation>();
  /** Resources for metrics: per function version, without per-instance ids (cardinality). */
  const versionResources = new Map<string, Resource>();
  let badBatches = 0;

  const versionResource = (state: InstanceState): Resource => {
    let r = versionResources.get(state.metricsKey);
    if (!r) {
      const attrs: Attributes = { ...state.resource.attributes };
      delete attrs[RESOURCE.serviceInstanceId];
      delete attrs[RESOURCE.faasInstance];
      r = resourceFromAttributes(attrs);
      versionResources.set(state.metricsKey, r);
    }
    return r;
  };

  const onBad = (state: InstanceState, why: string): void => {
    if (badBatches++ === 0) options.log.error('dropped an unreadable telemetry batch from an isolate (further ones are only counted in badBatches)', { fn: state.info.fn, why });
  };

  const ingest = (state: InstanceState, invocationId: string, json: string): void => {
    let batch: TelemetryBatch;
    try { batch = JSON.parse(json) as TelemetryBatch; } catch (e) { onBad(state, (e as Error).message); return; }
    if (batch?.v !== TELEMETRY_VERSION || !Array.isArray(batch.s) || !Array.isArray(batch.sc)) { onBad(state, `version ${String(batch?.v)}`); return; }
    // Scopes are resent whole: keep the converted table, extend it when it grew.
    for (let i = state.scopes.length; i < batch.sc.length; i++) {
      const [name, version, schemaUrl] = batch.sc[i]!;
      state.scopes.push({ name, ...(version ? { version } : {}), ...(schemaUrl ? { schemaUrl } : {}) });
    }
    const originSec = Math.floor(batch.o / 1000);
    const originRemMs = batch.o - originSec * 1000;
    // Repeated trace and parent ids come as 0 ("as the previous record"): resolve them in order.
    let prevTrace = '';
    let prevParent = '';
    for (const rec of batch.s) {
      try {
        if (Array.isArray(rec)) {
          if (rec[1] === 0) rec[1] = prevTrace; else prevTrace = rec[1];
          if (rec[3] === 0) rec[3] = prevParent; else prevParent = rec[3];
        }
        options.spanProcessor.onEnd(toReadableSpan(state, rec, originSec, originRemMs));
      } catch (e) {
        onBad(state, (e as Error).message);
      }
    }
    if (batch.p.length) options.metrics.record(state.metricsKey, state.metricsResource, batch.sc, batch.i, batch.p);
    const d = batch.d;
    if (d[0] || d[1] || d[2] || d[3] || d[4]) {
      options.metrics.dropped(state.metricsKey, state.metricsResource, d);
      const inv = live.get(invocationId);
      if (inv) for (let i = 0; i < 5; i++) inv.drops[i] = inv.drops[i]! + d[i]!;
    }
  };

  const toReadableSpan = (state: InstanceState, r: SpanRecord, originSec: number, originRemMs: number): ReadableSpan => {
    if (!validRecord(r)) throw new TypeError('a span record does not match sdk/protocol/telemetry.ts');
    const [scope, traceId, spanId, parentSpanId, traceFlags, traceState, name, kind, startMs, endMs, statusCode, statusMessage, attrs, events, links, droppedAttributes, droppedEvents, droppedLinks, parentIsRemote] = r as [number, string, string, string, ...unknown[]] as unknown as [number, string, string, string, number, string, string, number, number, number, number, string, FlatAttributes, EventRecord[], LinkRecord[], number, number, number, boolean];
    const sc: SpanContext = { traceId, spanId, traceFlags: traceFlags & TraceFlags.SAMPLED, isRemote: false };
    if (traceState) { const ts = traceStateOf(traceState); if (ts) sc.traceState = ts; }
    const startTime = hrAt(originSec, originRemMs, startMs);
    const endTime = hrAt(originSec, originRemMs, endMs);
    return new DrainedSpan(
      name,
      kind,
      sc,
      parentSpanId ? { traceId, spanId: parentSpanId, traceFlags: sc.traceFlags, isRemote: parentIsRemote === true } : undefined,
      startTime,
      endTime,
      statusCode === 2 ? { code: 2, message: statusMessage } : { code: statusCode },
      toAttributes(attrs),
      links.length ? links.map((l: LinkRecord): Link => {
        const ctx: SpanContext = { traceId: l[0], spanId: l[1], traceFlags: l[2] };
        const lts = traceStateOf(l[3]);
        if (lts) ctx.traceState = lts;
        return { context: ctx, attributes: toAttributes(l[4]), droppedAttributesCount: Number(l[5]) || 0 };
      }) : [],
      events.length ? events.map((e: EventRecord): TimedEvent => ({ name: e[0], time: hrAt(originSec, originRemMs, e[1]), attributes: toAttributes(e[2] as FlatAttributes), droppedAttributesCount: Number(e[3]) || 0 })) : [],
      state.resource,
      state.scopes[scope] ?? UNKNOWN_SCOPE,
      Number(droppedAttributes) || 0,
      Number(droppedEvents) || 0,
      Number(droppedLinks) || 0,
    );
  };

  const stateFor = (info: InstanceInfo): InstanceState => {
    let state = instances.get(info.instanceId);
    if (state) return state;
    const resource = options.resourceFor(info);
    const s: InstanceState = {
      info,
      resource,
      metricsKey: `${info.fn}\u0000${info.version}`,
      metricsResource: () => versionResource(s),
      logger: undefined,
      scopes: [],
      sink: {
        batch: (invocationId, json) => {
          try { ingest(s, invocationId, json); } catch (e) { onBad(s, (e as Error).message); }
        },
        log: (record: ConsoleRecord, traceId, spanId, traceFlags) => {
          try {
            s.logger ??= options.logs.loggerFor(s.resource);
            options.logs.emit(s.logger, record, traceId, spanId, traceFlags);
          } catch (e) {
            onBad(s, (e as Error).message);
          }
        },
      },
    };
    state = s;
    instances.set(info.instanceId, state);
    return state;
  };

  return {
    invocationStarted(event, span) {
      const state = stateFor(event.instance);
      const sc = span.spanContext();
      live.set(event.invocationId, { drops: [0, 0, 0, 0, 0] });
      const traceparent = `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & TraceFlags.SAMPLED}`;
      const start = (span as unknown as { startTime?: HrTime }).startTime;
      const startUnixMs = start ? start[0] * 1e3 + start[1] / 1e6 : Number(event.startUnixNano / 1000n) / 1e3;
      return { args: traceArgs(traceparent, sc.traceState?.serialize() ?? '', headerValue(event.headers, 'baggage'), limitsText, startUnixMs), sink: state.sink };
    },
    invocationEnded(event, span) {
      const inv = live.get(event.invocationId);
      if (!inv) return;
      live.delete(event.invocationId);
      const d = inv.drops;
      if (d[0]) span.setAttribute(ATTR.droppedSpans, d[0]);
      if (d[1]) span.setAttribute(ATTR.droppedEvents, d[1]);
      if (d[2]) span.setAttribute(ATTR.droppedAttributes, d[2]);
      if (d[3]) span.setAttribute(ATTR.droppedLogs, d[3]);
      if (d[4]) span.setAttribute(ATTR.droppedMetricPoints, d[4]);
    },
    instanceDisposed(instanceId) {
      instances.delete(instanceId);
    },
    get badBatches() { return badBatches; },
    flush: async () => {
      await Promise.all([options.logs.flush(), options.metrics.flush()]);
    },
    shutdown: async () => {
      await Promise.all([options.logs.shutdown(), options.metrics.shutdown()]);
    },
  };
}

function headerValue(headers: HeaderList, name: string): string {
  const values: string[] = [];
  for (const [k, v] of headers) if (k.toLowerCase() === name) values.push(v);
  return values.join(',');
}
