/**
 * The layout of telemetry drained from an isolate (sdk/runtime/40_otel.ts) to the
 * host (host/telemetry/bridge.ts). Author spans and metric deltas live wholly in the
 * isolate until drained; a drain is ONE `op('telemetry', invocationId, payload)`
 * whose payload is a JSON string of the arrays below (positional, no per-record
 * keys): one copy across the boundary, one JSON.parse on the host.
 *
 * Times are milliseconds since the sandbox's time origin, whose Unix-ms value travels
 * once per batch. Inside the isolate "now" is Date.now() (millisecond resolution: a
 * high-resolution host read costs a synchronous crossing of ~25 µs); explicit times
 * given by the author keep their precision.
 */

/** Bumped when the positional layout changes. */
export const TELEMETRY_VERSION = 1;

/** Per-invocation guard rails, handed to the runtime with every traced invocation. */
export interface TelemetryLimits {
  /** Spans one invocation may record; more are non-recording and counted. */
  readonly spansPerInvocation: number;
  /** Events (incl. exceptions) per span. */
  readonly eventsPerSpan: number;
  /** Attributes per span, event, link or log record. */
  readonly attributesPerSpan: number;
  /** Log records (console lines) per invocation. */
  readonly logsPerInvocation: number;
  /** Metric measurements (distinct attribute sets for counters/gauges, values for histograms) per invocation. */
  readonly metricPointsPerInvocation: number;
  /** Longest string attribute value, characters (longer values are truncated). */
  readonly attributeValueLength: number;
}

/**
 * What the host hands the runtime for a traced invocation (the last argument of
 * entry.invoke), or null for an untraced one (telemetry off: every API call is a
 * no-op). ONE string — a primitive crosses the boundary far cheaper than an array:
 * `traceparent \n tracestate \n baggage \n startUnixMs \n limits` with limits as
 * comma-separated integers in TelemetryLimits order (header values never hold \n).
 */
export type InvokeTraceArgs = string;

export function limitsKey(l: TelemetryLimits): string {
  return `${l.spansPerInvocation},${l.eventsPerSpan},${l.attributesPerSpan},${l.logsPerInvocation},${l.metricPointsPerInvocation},${l.attributeValueLength}`;
}

/** `startUnixMs`: when the invocation span started (author spans are clamped to start no earlier). */
export function traceArgs(traceparent: string, tracestate: string, baggage: string, limits: string, startUnixMs: number): InvokeTraceArgs {
  return `${traceparent}\n${tracestate}\n${baggage}\n${startUnixMs}\n${limits}`;
}

export function parseTraceArgs(s: InvokeTraceArgs): { traceparent: string; tracestate: string; baggage: string; startUnixMs: number; limits: string } {
  const [traceparent = '', tracestate = '', baggage = '', start = '0', limits = ''] = s.split('\n');
  return { traceparent, tracestate, baggage, startUnixMs: Number(start), limits };
}

export function parseLimits(s: string): TelemetryLimits {
  const n = s.split(',').map(Number);
  const d = DEFAULT_TELEMETRY_LIMITS;
  const pick = (i: number, def: number): number => (Number.isInteger(n[i]) && n[i]! >= 0 ? n[i]! : def);
  return { spansPerInvocation: pick(0, d.spansPerInvocation), eventsPerSpan: pick(1, d.eventsPerSpan), attributesPerSpan: pick(2, d.attributesPerSpan), logsPerInvocation: pick(3, d.logsPerInvocation), metricPointsPerInvocation: pick(4, d.metricPointsPerInvocation), attributeValueLength: pick(5, d.attributeValueLength) };
}

/** Attribute list: [key, value, key, value, …]; values are string | number | boolean | arrays of one of those. */
export type FlatAttributes = Array<string | number | boolean | Array<string | number | boolean | null>>;

/** [name, timeMs, attributes, droppedAttributes] */
export type EventRecord = [string, number, FlatAttributes, number];
/** [traceId, spanId, traceFlags, traceState, attributes, droppedAttributes] */
export type LinkRecord = [string, string, number, string, FlatAttributes, number];

/** One ended span. */
export type SpanRecord = [
  scope: number,
  /** 0: the same as the previous record of this batch. */
  traceId: string | 0,
  spanId: string,
  /** '' for a root span; 0: the same as the previous record of this batch. */
  parentSpanId: string | 0,
  traceFlags: number,
  traceState: string,
  name: string,
  kind: number,
  startMs: number,
  endMs: number,
  statusCode: number,
  statusMessage: string,
  attributes: FlatAttributes,
  events: EventRecord[],
  links: LinkRecord[],
  droppedAttributes: number,
  droppedEvents: number,
  droppedLinks: number,
  /** true when the parent is the span of another process (the invocation span on the host, or an incoming request). */
  parentIsRemote: boolean,
];

export const INSTRUMENT_COUNTER = 0;
export const INSTRUMENT_UP_DOWN_COUNTER = 1;
export const INSTRUMENT_HISTOGRAM = 2;
export const INSTRUMENT_GAUGE = 3;
export type InstrumentKind = typeof INSTRUMENT_COUNTER | typeof INSTRUMENT_UP_DOWN_COUNTER | typeof INSTRUMENT_HISTOGRAM | typeof INSTRUMENT_GAUGE;

/** [scope, name, kind, unit, description, valueType (0 double, 1 int), advisory bucket boundaries or null] */
export type InstrumentRecord = [number, string, InstrumentKind, string, string, number, number[] | null];

/**
 * Measurements since the last drain: counters and up-down counters as one summed
 * delta per attribute set, gauges as the last value, histograms as every value.
 * [instrument, attributes, values]
 */
export type PointRecord = [number, FlatAttributes, number[]];

/** Drops counted in the isolate: [spans, events, attributes, logs, metricPoints]. */
export type DropCounts = [number, number, number, number, number];
export const DROP_KINDS = ['span', 'event', 'attribute', 'log', 'metric_point'] as const;

export interface TelemetryBatch {
  readonly v: number;
  /** Unix ms of the sandbox's time origin. */
  readonly o: number;
  /** true on the invocation's last drain (all its waitUntil work settled). */
  readonly f: boolean;
  /** Every instrumentation scope of the sandbox so far: [name, version, schemaUrl] (few; resent whole so batches stand alone). */
  readonly sc: Array<[string, string, string]>;
  readonly s: SpanRecord[];
  /** Every instrument of the sandbox so far, indexed in order of creation (resent whole). */
  readonly i: InstrumentRecord[];
  readonly p: PointRecord[];
  /** Drops of this invocation since its previous drain. */
  readonly d: DropCounts;
}

/** Defaults of the guard rails (the host may pass others per invocation). */
export const DEFAULT_TELEMETRY_LIMITS: TelemetryLimits = Object.freeze({
  spansPerInvocation: 1000,
  eventsPerSpan: 128,
  attributesPerSpan: 128,
  logsPerInvocation: 1000,
  metricPointsPerInvocation: 2000,
  attributeValueLength: 8192,
});
