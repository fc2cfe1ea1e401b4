/**
 * ExportMetricsServiceRequest → the five otel_metrics_* tables, mapped as the
 * exporter's internal/metrics/*.go do. Points with time_unix_nano = 0 are refused
 * (the OTLP data model says consumers SHOULD reject them) and reported as
 * partial_success.
 */
import { oneofCase, type DecodedRequest, type ExemplarMsg, type Int64, type KeyValueMsg, type MetricMsg } from '../decode/otlp.js';
import { BatchBuilder, type MappedRequest } from './batch.js';
import { RowBinaryWriter } from './rowbinary.js';
import type { TableName } from './tables.js';
import { hexId, int64Number, isZero, serviceName, writeAttributes, writeNanos, writeU64 } from './values.js';

function writeExemplars(w: RowBinaryWriter, ex: readonly ExemplarMsg[] | null | undefined): void {
  const e = ex ?? [];
  w.varint(e.length);
  for (const x of e) writeAttributes(w, x.filteredAttributes);
  w.varint(e.length);
  for (const x of e) writeNanos(w, x.timeUnixNano);
  w.varint(e.length);
  for (const x of e) w.f64(numberValue(x));
  w.varint(e.length);
  for (const x of e) w.str(hexId(x.spanId, 8));
  w.varint(e.length);
  for (const x of e) w.str(hexId(x.traceId, 16));
}

function writeU64Array(w: RowBinaryWriter, a: readonly Int64[] | null | undefined): void {
  const v = a ?? [];
  w.varint(v.length);
  for (const x of v) writeU64(w, x);
}

function writeF64Array(w: RowBinaryWriter, a: readonly number[] | null | undefined): void {
  const v = a ?? [];
  w.varint(v.length);
  for (const x of v) w.f64(x);
}

const NUMBER_MEMBERS = ['asDouble', 'asInt'] as const;
const DATA_MEMBERS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;

/** A NumberDataPoint's or Exemplar's value as Float64 (int points converted, none → 0). */
function numberValue(p: { value?: string; asDouble?: number; asInt?: Int64 }): number {
  const k = p.value ?? oneofCase(p as Record<string, unknown>, 'value', NUMBER_MEMBERS);
  return k === 'asInt' ? int64Number(p.asInt) : k === 'asDouble' ? (p.asDouble ?? 0) : 0;
}

interface Point {
  attributes: KeyValueMsg[];
  startTimeUnixNano: Int64;
  timeUnixNano: Int64;
}

const TABLE: Record<NonNullable<MetricMsg['data']>, TableName> = {
  gauge: 'otel_metrics_gauge',
  sum: 'otel_metrics_sum',
  histogram: 'otel_metrics_histogram',
  exponentialHistogram: 'otel_metrics_exponential_histogram',
  summary: 'otel_metrics_summary',
};

export function mapMetrics(req: DecodedRequest, sizeHint: number): MappedRequest {
  const b = new BatchBuilder(sizeHint);
  const scratch = new RowBinaryWriter(4096);
  for (const rm of req.resourceMetrics ?? []) {
    const resAttrs = rm.resource?.attributes;
    const service = serviceName(resAttrs);
    for (const sm of rm.scopeMetrics ?? []) {
      for (const m of sm.metrics ?? []) {
        const kind = m.data ?? oneofCase(m as unknown as Record<string, unknown>, 'data', DATA_MEMBERS);
        if (!kind) {
          b.reject('metrics without data (no gauge, sum, histogram, exponential histogram or summary)');
          continue;
        }
        // The leading 11 columns are the same for every point of this metric: encode once.
        writeAttributes(scratch, resAttrs);
        scratch.str(rm.schemaUrl ?? '');
        scratch.str(sm.scope?.name ?? '');
        scratch.str(sm.scope?.version ?? '');
        writeAttributes(scratch, sm.scope?.attributes);
        scratch.u32(sm.scope?.droppedAttributesCount ?? 0);
        scratch.str(sm.schemaUrl ?? '');
        scratch.str(service);
        scratch.str(m.name ?? '');
        scratch.str(m.description ?? '');
        scratch.str(m.unit ?? '');
        const prefix = scratch.take();
        const table = TABLE[kind];
        const head = (p: Point): RowBinaryWriter | null => {
          if (isZero(p.timeUnixNano)) {
            b.reject('data points with time_unix_nano = 0');
            return null;
          }
          const w = b.writer(table);
          w.raw(prefix);
          writeAttributes(w, p.attributes);
          writeNanos(w, p.startTimeUnixNano);
          writeNanos(w, p.timeUnixNano);
          return w;
        };
        switch (kind) {
          case 'gauge':
          case 'sum': {
            const data = kind === 'gauge' ? m.gauge : m.sum;
            for (const p of data?.dataPoints ?? []) {
              const w = head(p);
              if (!w) continue;
              w.f64(numberValue(p));
              w.u32(p.flags ?? 0);
              writeExemplars(w, p.exemplars);
              if (kind === 'sum') {
                w.i32(m.sum?.aggregationTemporality ?? 0);
                w.u8(m.sum?.isMonotonic ? 1 : 0);
              }
              b.row(table);
            }
            break;
          }
          case 'histogram':
            for (const p of m.histogram?.dataPoints ?? []) {
              const w = head(p);
              if (!w) continue;
              writeU64(w, p.count);
              w.f64(p.sum ?? 0);
              writeU64Array(w, p.bucketCounts);
              writeF64Array(w, p.explicitBounds);
              writeExemplars(w, p.exemplars);
              w.u32(p.flags ?? 0);
              w.f64(p.min ?? 0);
              w.f64(p.max ?? 0);
              w.i32(m.histogram?.aggregationTemporality ?? 0);
              b.row(table);
            }
            break;
          case 'exponentialHistogram':
            for (const p of m.exponentialHistogram?.dataPoints ?? []) {
              const w = head(p);
              if (!w) continue;
              writeU64(w, p.count);
              w.f64(p.sum ?? 0);
              w.i32(p.scale ?? 0);
              writeU64(w, p.zeroCount);
              w.i32(p.positive?.offset ?? 0);
              writeU64Array(w, p.positive?.bucketCounts);
              w.i32(p.negative?.offset ?? 0);
              writeU64Array(w, p.negative?.bucketCounts);
              writeExemplars(w, p.exemplars);
              w.u32(p.flags ?? 0);
              w.f64(p.min ?? 0);
              w.f64(p.max ?? 0);
              w.i32(m.exponentialHistogram?.aggregationTemporality ?? 0);
              b.row(table);
            }
            break;
          case 'summary':
            for (const p of m.summary?.dataPoints ?? []) {
              const w = head(p);
              if (!w) continue;
              writeU64(w, p.count);
              w.f64(p.sum ?? 0);
              const q = p.quantileValues ?? [];
              w.varint(q.length);
              for (const x of q) w.f64(x.quantile ?? 0);
              w.varint(q.length);
              for (const x of q) w.f64(x.value ?? 0);
              w.u32(p.flags ?? 0);
              b.row(table);
            }
            break;
        }
      }
    }
  }
  return b.finish();
}
