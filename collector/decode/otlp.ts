/**
 * OTLP request decoding with protobufjs and the official opentelemetry-proto message
 * definitions (vendored under ./proto). Protobuf bodies decode directly; OTLP/JSON is
 * first adjusted where it differs from proto3 JSON (hex trace/span ids) and then
 * converted with the same message types, so one row mapper serves both.
 */
import { isUtf8 } from 'node:buffer';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { IsotelError } from '../../common/errors.js';
import type { LongLike } from '../rows/rowbinary.js';

export type Signal = 'traces' | 'metrics' | 'logs';
export const SIGNALS: readonly Signal[] = ['traces', 'metrics', 'logs'];

// The .proto files are not copied by the build: resolve them from the repository
// (dist/collector/decode/ → collector/decode/proto).
const here = dirname(fileURLToPath(import.meta.url));
const protoDir = here.includes(`${join('dist', 'collector')}`) ? join(here, '../../../collector/decode/proto') : join(here, 'proto');

const SERVICE_FILES: Record<Signal, string> = {
  traces: 'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  metrics: 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  logs: 'opentelemetry/proto/collector/logs/v1/logs_service.proto',
};
const PACKAGE: Record<Signal, [pkg: string, name: string]> = {
  traces: ['opentelemetry.proto.collector.trace.v1', 'Trace'],
  metrics: ['opentelemetry.proto.collector.metrics.v1', 'Metrics'],
  logs: ['opentelemetry.proto.collector.logs.v1', 'Logs'],
};

// Two decode-speed adjustments to protobufjs (measured: ~2.5× faster decode of the
// host's spans), neither changing what is decoded:
//  1. proto3 strings are UTF-8-verified by protobufjs in a JavaScript loop; decode with
//     Node's native utf8Slice instead and verify (buffer.isUtf8) only strings that
//     decoded to a replacement character (invalid UTF-8 still refuses the request).
//  2. A oneof's virtual field (AnyValue.value, NumberDataPoint.value, Metric.data, …) is
//     an accessor whose setter `delete`s the sibling fields on every decoded message,
//     which drops each message into slow dictionary mode. Replace it with a plain
//     field: the decoder still records which member it read there, and `oneofCase`
//     derives it for messages built from OTLP/JSON.
const BufferReader = protobuf.BufferReader as unknown as { prototype: { size(): number; pos: number; len: number; buf: Buffer; stringVerify(): string } };
BufferReader.prototype.stringVerify = function stringVerify(this: { size(): number; pos: number; len: number; buf: Buffer }): string {
  const len = this.size();
  const start = this.pos;
  const end = start + len;
  if (end > this.len) throw new RangeError(`index out of range: ${start} + ${len} > ${this.len}`);
  this.pos = end;
  const s = (this.buf as Buffer & { utf8Slice(s: number, e: number): string }).utf8Slice(start, end);
  // Invalid sequences decode to U+FFFD: only then is the exact (allocating) check needed.
  if (s.indexOf('\uFFFD') !== -1 && !isUtf8(this.buf.subarray(start, end))) throw new Error('invalid UTF-8 in a string field');
  return s;
};

let root: protobuf.Root | undefined;
function loadRoot(): protobuf.Root {
  if (root) return root;
  const r = new protobuf.Root();
  r.resolvePath = (_origin, target) => (target.startsWith('/') ? target : join(protoDir, target));
  r.loadSync(Object.values(SERVICE_FILES), { keepCase: false });
  r.resolveAll();
  plainOneofs(r);
  root = r;
  return r;
}

function plainOneofs(ns: protobuf.NamespaceBase): void {
  for (const obj of ns.nestedArray) {
    if (obj instanceof protobuf.Type && obj.oneofsArray.length > 0) {
      // The accessors are non-configurable: give the constructor a copy of its
      // prototype with plain fields in their place.
      const ctor = obj.ctor as unknown as { prototype: object };
      const old = ctor.prototype;
      const names = new Set(obj.oneofsArray.map((o) => o.name));
      const proto = Object.create(Object.getPrototypeOf(old) as object) as object;
      for (const key of Reflect.ownKeys(old)) {
        if (typeof key === 'string' && names.has(key)) Object.defineProperty(proto, key, { value: undefined, writable: true, enumerable: false, configurable: true });
        else Object.defineProperty(proto, key, Object.getOwnPropertyDescriptor(old, key)!);
      }
      ctor.prototype = proto;
    }
    if (obj instanceof protobuf.Namespace || obj instanceof protobuf.Type) plainOneofs(obj);
  }
}

/** The member a oneof holds: the decoder's note, or (messages from OTLP/JSON) the first member set. */
export function oneofCase<K extends string>(msg: Record<string, unknown> & { [k: string]: unknown }, name: string, members: readonly K[]): K | undefined {
  const noted = msg[name];
  if (typeof noted === 'string') return noted as K;
  for (const m of members) if (Object.hasOwn(msg, m) && msg[m] !== undefined && msg[m] !== null) return m;
  return undefined;
}

export interface SignalTypes {
  request: protobuf.Type;
  response: protobuf.Type;
  partial: protobuf.Type;
  service: protobuf.Service;
}
const types = new Map<Signal, SignalTypes>();
export function signalTypes(signal: Signal): SignalTypes {
  let t = types.get(signal);
  if (!t) {
    const r = loadRoot();
    const [pkg, name] = PACKAGE[signal];
    t = {
      request: r.lookupType(`${pkg}.Export${name}ServiceRequest`),
      response: r.lookupType(`${pkg}.Export${name}ServiceResponse`),
      partial: r.lookupType(`${pkg}.Export${name}PartialSuccess`),
      service: r.lookupService(`${pkg}.${name}Service`),
    };
    types.set(signal, t);
  }
  return t;
}

/** Where the vendored .proto files live (the gRPC server loads them too). */
export function protoRoot(): protobuf.Root {
  return loadRoot();
}

function undecodable(signal: Signal, why: string, cause?: unknown): IsotelError {
  return new IsotelError('ISOTEL_ERR_OTLP_UNDECODABLE', `cannot decode OTLP ${signal} request: ${why}`, cause === undefined ? undefined : { cause });
}

/** Decodes an Export<Signal>ServiceRequest from protobuf bytes. */
export function decodeProtobuf(signal: Signal, body: Uint8Array): DecodedRequest {
  try {
    return signalTypes(signal).request.decode(body) as unknown as DecodedRequest;
  } catch (e) {
    throw undecodable(signal, (e as Error).message, e);
  }
}

/** Decodes an Export<Signal>ServiceRequest from OTLP/JSON text. */
export function decodeJson(signal: Signal, text: string): DecodedRequest {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw undecodable(signal, `invalid JSON (${(e as Error).message})`, e);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw undecodable(signal, 'the body is not a JSON object');
  try {
    hexIds(signal, obj as Json);
    // fromObject (not verify): OTLP/JSON sends 64-bit integers as decimal strings.
    const t = signalTypes(signal).request;
    return t.fromObject(obj as Record<string, unknown>) as unknown as DecodedRequest;
  } catch (e) {
    if (e instanceof IsotelError) throw e;
    throw undecodable(signal, (e as Error).message, e);
  }
}

type Json = Record<string, unknown>;
const HEX = /^[0-9a-fA-F]*$/;

function hexField(o: Json, key: string, path: string): void {
  const v = o[key];
  if (v === undefined || v === null) return;
  if (typeof v !== 'string' || v.length % 2 !== 0 || !HEX.test(v)) {
    throw new Error(`${path}.${key}: expected a hex string, got ${JSON.stringify(v)?.slice(0, 60)}`);
  }
  o[key] = Buffer.from(v, 'hex');
}

function arr(v: unknown): Json[] {
  return Array.isArray(v) ? (v as Json[]).filter((x) => x !== null && typeof x === 'object') : [];
}

/** OTLP/JSON carries trace and span ids as hex, where proto3 JSON would use base64. */
function hexIds(signal: Signal, req: Json): void {
  if (signal === 'traces') {
    for (const rs of arr(req.resourceSpans))
      for (const ss of arr(rs.scopeSpans))
        for (const s of arr(ss.spans)) {
          hexField(s, 'traceId', 'span');
          hexField(s, 'spanId', 'span');
          hexField(s, 'parentSpanId', 'span');
          for (const l of arr(s.links)) {
            hexField(l, 'traceId', 'span.link');
            hexField(l, 'spanId', 'span.link');
          }
        }
  } else if (signal === 'logs') {
    for (const rl of arr(req.resourceLogs))
      for (const sl of arr(rl.scopeLogs))
        for (const r of arr(sl.logRecords)) {
          hexField(r, 'traceId', 'logRecord');
          hexField(r, 'spanId', 'logRecord');
        }
  } else {
    for (const rm of arr(req.resourceMetrics))
      for (const sm of arr(rm.scopeMetrics))
        for (const m of arr(sm.metrics))
          for (const kind of ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'])
            for (const dp of arr((m[kind] as Json | undefined)?.dataPoints))
              for (const ex of arr(dp.exemplars)) {
                hexField(ex, 'traceId', 'exemplar');
                hexField(ex, 'spanId', 'exemplar');
              }
  }
}

/** Encodes the Export<Signal>ServiceResponse, with partial_success when items were rejected. */
export function encodeResponse(signal: Signal, rejected: number, message: string, json: boolean): Buffer {
  const t = signalTypes(signal);
  const field = signal === 'traces' ? 'rejectedSpans' : signal === 'logs' ? 'rejectedLogRecords' : 'rejectedDataPoints';
  const body = rejected > 0 || message ? { partialSuccess: { [field]: rejected, errorMessage: message } } : {};
  if (json) return Buffer.from(JSON.stringify(body));
  return Buffer.from(t.response.encode(t.response.fromObject(body)).finish());
}

// Decoded message shapes (protobufjs camelCase; only what the row mappers read).
export type Int64 = LongLike | number;
export interface AnyValueMsg {
  value?: string;
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Int64;
  doubleValue?: number;
  arrayValue?: { values?: AnyValueMsg[] | null } | null;
  kvlistValue?: { values?: KeyValueMsg[] | null } | null;
  bytesValue?: Uint8Array;
}
export interface KeyValueMsg {
  key: string;
  value?: AnyValueMsg | null;
}
export interface ResourceMsg {
  attributes?: KeyValueMsg[] | null;
}
export interface ScopeMsg {
  name?: string;
  version?: string;
  attributes?: KeyValueMsg[] | null;
  droppedAttributesCount?: number;
}
export interface SpanMsg {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState: string;
  parentSpanId: Uint8Array;
  name: string;
  kind: number;
  startTimeUnixNano: Int64;
  endTimeUnixNano: Int64;
  attributes: KeyValueMsg[];
  events: { timeUnixNano: Int64; name: string; attributes: KeyValueMsg[] }[];
  links: { traceId: Uint8Array; spanId: Uint8Array; traceState: string; attributes: KeyValueMsg[] }[];
  status?: { message?: string; code?: number } | null;
}
export interface LogRecordMsg {
  timeUnixNano: Int64;
  observedTimeUnixNano: Int64;
  severityNumber: number;
  severityText: string;
  body?: AnyValueMsg | null;
  attributes: KeyValueMsg[];
  flags: number;
  traceId: Uint8Array;
  spanId: Uint8Array;
  eventName: string;
}
export interface ExemplarMsg {
  filteredAttributes: KeyValueMsg[];
  timeUnixNano: Int64;
  value?: string;
  asDouble?: number;
  asInt?: Int64;
  spanId: Uint8Array;
  traceId: Uint8Array;
}
export interface NumberPointMsg {
  attributes: KeyValueMsg[];
  startTimeUnixNano: Int64;
  timeUnixNano: Int64;
  value?: string;
  asDouble?: number;
  asInt?: Int64;
  exemplars: ExemplarMsg[];
  flags: number;
}
export interface HistogramPointMsg {
  attributes: KeyValueMsg[];
  startTimeUnixNano: Int64;
  timeUnixNano: Int64;
  count: Int64;
  sum?: number | null;
  bucketCounts: Int64[];
  explicitBounds: number[];
  exemplars: ExemplarMsg[];
  flags: number;
  min?: number | null;
  max?: number | null;
}
export interface ExpHistogramPointMsg {
  attributes: KeyValueMsg[];
  startTimeUnixNano: Int64;
  timeUnixNano: Int64;
  count: Int64;
  sum?: number | null;
  scale: number;
  zeroCount: Int64;
  positive?: { offset: number; bucketCounts: Int64[] } | null;
  negative?: { offset: number; bucketCounts: Int64[] } | null;
  flags: number;
  exemplars: ExemplarMsg[];
  min?: number | null;
  max?: number | null;
}
export interface SummaryPointMsg {
  attributes: KeyValueMsg[];
  startTimeUnixNano: Int64;
  timeUnixNano: Int64;
  count: Int64;
  sum: number;
  quantileValues: { quantile: number; value: number }[];
  flags: number;
}
export interface MetricMsg {
  name: string;
  description: string;
  unit: string;
  data?: 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';
  gauge?: { dataPoints: NumberPointMsg[] };
  sum?: { dataPoints: NumberPointMsg[]; aggregationTemporality: number; isMonotonic: boolean };
  histogram?: { dataPoints: HistogramPointMsg[]; aggregationTemporality: number };
  exponentialHistogram?: { dataPoints: ExpHistogramPointMsg[]; aggregationTemporality: number };
  summary?: { dataPoints: SummaryPointMsg[] };
}
export interface DecodedRequest {
  resourceSpans?: { resource?: ResourceMsg | null; schemaUrl: string; scopeSpans: { scope?: ScopeMsg | null; schemaUrl: string; spans: SpanMsg[] }[] }[];
  resourceLogs?: { resource?: ResourceMsg | null; schemaUrl: string; scopeLogs: { scope?: ScopeMsg | null; schemaUrl: string; logRecords: LogRecordMsg[] }[] }[];
  resourceMetrics?: { resource?: ResourceMsg | null; schemaUrl: string; scopeMetrics: { scope?: ScopeMsg | null; schemaUrl: string; metrics: MetricMsg[] }[] }[];
}
