/**
 * Value conversions exactly as the exporter does them (pdata `Value.AsString`,
 * `TraceIDToHexOrEmptyString`, …), written straight into RowBinary.
 */
import { oneofCase, type AnyValueMsg, type Int64, type KeyValueMsg } from '../decode/otlp.js';
import type { RowBinaryWriter } from './rowbinary.js';

const ANY_MEMBERS = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] as const;

/** Which AnyValue member is set (decoded protobuf notes it; OTLP/JSON messages are probed). */
function kindOf(v: AnyValueMsg): string | undefined {
  return v.value ?? oneofCase(v as unknown as Record<string, unknown>, 'value', ANY_MEMBERS);
}

/** Lowercase hex of a valid id; '' for a missing, all-zero or wrong-length id. */
export function hexId(id: Uint8Array | null | undefined, len: number): string {
  if (!id || id.length !== len) return '';
  for (let i = 0; i < len; i++) if (id[i] !== 0) return Buffer.from(id.buffer, id.byteOffset, len).toString('hex');
  return '';
}

export function int64String(v: Int64 | null | undefined): string {
  if (v === null || v === undefined) return '0';
  return typeof v === 'number' ? String(Math.trunc(v)) : (v as { toString(): string }).toString();
}

export function int64Number(v: Int64 | null | undefined): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  return v.unsigned ? (v.high >>> 0) * 0x100000000 + (v.low >>> 0) : v.high * 0x100000000 + (v.low >>> 0);
}

/** Go's float formatting for AsString: ES6 number-to-string, but no JSON for Inf/NaN. */
function floatString(f: number): string {
  if (Number.isFinite(f)) return String(f);
  return `json: unsupported value: ${Number.isNaN(f) ? 'NaN' : f > 0 ? '+Inf' : '-Inf'}`;
}

function raw(v: AnyValueMsg | null | undefined): unknown {
  if (!v) return null;
  switch (kindOf(v)) {
    case 'stringValue':
      return v.stringValue;
    case 'boolValue':
      return v.boolValue;
    case 'intValue':
      return BigInt(int64String(v.intValue));
    case 'doubleValue':
      return v.doubleValue;
    case 'bytesValue':
      return Buffer.from(v.bytesValue ?? []).toString('base64');
    case 'arrayValue':
      return (v.arrayValue?.values ?? []).map(raw);
    case 'kvlistValue': {
      const o: Record<string, unknown> = {};
      for (const kv of v.kvlistValue?.values ?? []) o[kv.key] = raw(kv.value);
      return o;
    }
    default:
      return null;
  }
}

/** encoding/json of AsRaw(): sorted keys, HTML-escaped, int64 exact. */
function goJson(x: unknown): string {
  if (x === null || x === undefined) return 'null';
  if (typeof x === 'bigint') return x.toString();
  if (typeof x === 'number') return Number.isFinite(x) ? String(x) : 'null';
  if (typeof x === 'string' || typeof x === 'boolean') return htmlEscape(JSON.stringify(x));
  if (Array.isArray(x)) return `[${x.map(goJson).join(',')}]`;
  const o = x as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${htmlEscape(JSON.stringify(k))}:${goJson(o[k])}`)
    .join(',')}}`;
}

function htmlEscape(s: string): string {
  return s.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** pcommon.Value.AsString(). */
export function anyValueString(v: AnyValueMsg | null | undefined): string {
  if (!v) return '';
  switch (kindOf(v)) {
    case 'stringValue':
      return v.stringValue ?? '';
    case 'boolValue':
      return v.boolValue ? 'true' : 'false';
    case 'intValue':
      return int64String(v.intValue);
    case 'doubleValue':
      return floatString(v.doubleValue ?? 0);
    case 'bytesValue':
      return Buffer.from(v.bytesValue ?? []).toString('base64');
    case 'arrayValue':
    case 'kvlistValue':
      return goJson(raw(v));
    default:
      return '';
  }
}

/** Map(String, String) of attributes, every value as AsString(). */
export function writeAttributes(w: RowBinaryWriter, kvs: readonly KeyValueMsg[] | null | undefined): void {
  if (!kvs || kvs.length === 0) {
    w.u8(0);
    return;
  }
  w.varint(kvs.length);
  for (let i = 0; i < kvs.length; i++) {
    const kv = kvs[i]!;
    w.str(kv.key);
    const v = kv.value;
    w.str(v && v.value === 'stringValue' ? (v.stringValue ?? '') : anyValueString(v));
  }
}

export function serviceName(kvs: readonly KeyValueMsg[] | null | undefined): string {
  if (kvs) for (const kv of kvs) if (kv.key === 'service.name') return anyValueString(kv.value);
  return '';
}

/** Writes a nanosecond timestamp (DateTime64(9), Int64 little-endian). */
export function writeNanos(w: RowBinaryWriter, v: Int64 | null | undefined): void {
  if (v === null || v === undefined) w.u64parts(0, 0);
  else if (typeof v === 'number') w.u64num(v);
  else w.u64parts(v.low, v.high);
}

export function writeU64(w: RowBinaryWriter, v: Int64 | null | undefined): void {
  writeNanos(w, v);
}

/** end − start in ns as [low, high]; null when end < start. */
export function nanosDiff(end: Int64, start: Int64): [number, number] | null {
  const [el, eh] = parts(end);
  const [sl, sh] = parts(start);
  let lo = el - sl;
  let hi = eh - sh;
  if (lo < 0) {
    lo += 0x100000000;
    hi -= 1;
  }
  return hi < 0 ? null : [lo, hi];
}

function parts(v: Int64 | null | undefined): [number, number] {
  if (v === null || v === undefined) return [0, 0];
  if (typeof v === 'number') return [v % 0x100000000, Math.floor(v / 0x100000000)];
  return [v.low >>> 0, v.high >>> 0];
}

export function isZero(v: Int64 | null | undefined): boolean {
  if (v === null || v === undefined) return true;
  return typeof v === 'number' ? v === 0 : v.low === 0 && v.high === 0;
}
