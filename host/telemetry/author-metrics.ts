/**
 * Metrics that function authors record with the OpenTelemetry API inside their
 * isolate. The isolate sums counters, keeps the last gauge value and lists
 * histogram values per attribute set; each drain hands those measurements here,
 * where they are recorded into @opentelemetry/sdk-metrics instruments of a
 * MeterProvider per function version (its Resource gives `ServiceName` = the
 * function in otel_metrics_*). One periodic loop collects every provider and
 * exports through ONE OTLP metric exporter, not one per function.
 *
 * The guard-rail drops (`isotel.telemetry.dropped`) are recorded here too, under the
 * function's own Resource, so "which function loses telemetry" is one query.
 */
import type { Attributes, Counter, Gauge, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';
import { ValueType } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import type { Resource } from '@opentelemetry/resources';
import { AggregationTemporality, MeterProvider, MetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { Logger as IsotelLogger } from '../../common/log.js';
import { HOST_SCOPE, METRIC } from '../../sdk/protocol/names.js';
import { DROP_KINDS, INSTRUMENT_COUNTER, INSTRUMENT_GAUGE, INSTRUMENT_HISTOGRAM, INSTRUMENT_UP_DOWN_COUNTER, type DropCounts, type FlatAttributes, type InstrumentRecord, type PointRecord } from '../../sdk/protocol/telemetry.js';

/** A reader the shared loop pulls from; it never exports by itself. */
class PullReader extends MetricReader {
  constructor() { super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE }); }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

type AnyInstrument = Counter | UpDownCounter | Histogram | Gauge;

interface FunctionMeters {
  readonly provider: MeterProvider;
  readonly reader: PullReader;
  readonly meters: Map<string, Meter>;
  readonly instruments: Map<string, AnyInstrument>;
  readonly dropped: Counter;
  lastUsed: number;
}

export interface AuthorMetrics {
  /** Records one drain's measurements for function version `key` (Resource built once per version). */
  record(key: string, resource: () => Resource, scopes: ReadonlyArray<readonly [string, string, string]>, instruments: readonly InstrumentRecord[], points: readonly PointRecord[]): void;
  /** Counts guard-rail drops of a function version. */
  dropped(key: string, resource: () => Resource, drops: DropCounts): void;
  /** Collects every function's metrics and exports them now. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface AuthorMetricsOptions {
  readonly baseUrl: string;
  readonly intervalMs: number;
  readonly log: IsotelLogger;
  /** For tests: replaces the OTLP exporter. */
  readonly exporter?: PushMetricExporter;
  /** Function versions tracked at most; the least recently used is collected, exported and forgotten beyond it. */
  readonly maxFunctions?: number;
}

/**
 * A flat attribute list from an isolate into Attributes. The isolate's runtime validated it, but user code can
 * tamper with the builtins the runtime uses, so the host re-checks: string keys, primitive or homogeneous-array
 * values; anything else is skipped (it would otherwise fail the shared exporter's whole batch).
 */
export function toAttributes(flat: FlatAttributes): Attributes {
  const out: Attributes = {};
  if (!Array.isArray(flat)) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const k = flat[i];
    const v = flat[i + 1];
    if (typeof k !== 'string' || k === '') continue;
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) out[k] = v;
    else if (Array.isArray(v) && v.every((x) => x === null || typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean')) out[k] = v as Attributes[string];
  }
  return out;
}

export function createAuthorMetrics(options: AuthorMetricsOptions): AuthorMetrics {
  const exporter = options.exporter ?? new OTLPMetricExporter({ url: `${options.baseUrl}/v1/metrics` });
  const maxFunctions = options.maxFunctions ?? 1000;
  const fns = new Map<string, FunctionMeters>();
  let exporting: Promise<void> = Promise.resolve();
  let failures = 0;

  const get = (key: string, resource: () => Resource): FunctionMeters => {
    let f = fns.get(key);
    if (f) { f.lastUsed = Date.now(); fns.delete(key); fns.set(key, f); return f; }
    if (fns.size >= maxFunctions) {
      const [oldKey, old] = fns.entries().next().value as [string, FunctionMeters];
      fns.delete(oldKey);
      exporting = exporting.then(() => exportOne(old)).then(() => old.provider.shutdown()).catch(() => {});
    }
    const reader = new PullReader();
    const provider = new MeterProvider({ resource: resource(), readers: [reader] });
    const dropped = provider.getMeter(HOST_SCOPE).createCounter(METRIC.telemetryDropped, { unit: '{item}', description: 'Author telemetry dropped by the per-invocation guard rails, by kind' });
    f = { provider, reader, meters: new Map(), instruments: new Map(), dropped, lastUsed: Date.now() };
    fns.set(key, f);
    return f;
  };

  const instrument = (f: FunctionMeters, scopes: ReadonlyArray<readonly [string, string, string]>, rec: InstrumentRecord): AnyInstrument | undefined => {
    const [scopeIndex, name, kind, unit, description, valueType, buckets] = rec;
    const scope = scopes[scopeIndex];
    if (!scope) return undefined;
    const key = `${scope[0]}\u0000${scope[1]}\u0000${name}\u0000${kind}`;
    let inst = f.instruments.get(key);
    if (inst) return inst;
    const meterKey = `${scope[0]}\u0000${scope[1]}\u0000${scope[2]}`;
    let meter = f.meters.get(meterKey);
    if (!meter) {
      meter = f.provider.getMeter(scope[0], scope[1] || undefined, scope[2] ? { schemaUrl: scope[2] } : undefined);
      f.meters.set(meterKey, meter);
    }
    const opts = { unit, description, valueType: valueType === 1 ? ValueType.INT : ValueType.DOUBLE, ...(buckets ? { advice: { explicitBucketBoundaries: buckets } } : {}) };
    switch (kind) {
      case INSTRUMENT_COUNTER: inst = meter.createCounter(name, opts); break;
      case INSTRUMENT_UP_DOWN_COUNTER: inst = meter.createUpDownCounter(name, opts); break;
      case INSTRUMENT_HISTOGRAM: inst = meter.createHistogram(name, opts); break;
      case INSTRUMENT_GAUGE: inst = meter.createGauge(name, opts); break;
      default: return undefined;
    }
    f.instruments.set(key, inst);
    return inst;
  };

  async function exportOne(f: FunctionMeters): Promise<void> {
    const { resourceMetrics } = await f.reader.collect();
    if (!resourceMetrics.scopeMetrics.some((s) => s.metrics.length)) return;
    await new Promise<void>((resolve) => {
      exporter.export(resourceMetrics, (r) => {
        if (r.code !== ExportResultCode.SUCCESS) {
          // Cumulative temporality: the next successful export carries the totals, so a failed one loses no counts.
          if (failures++ === 0) options.log.warn('exporting author metrics failed; will retry with the next interval', { error: r.error?.message });
        } else failures = 0;
        resolve();
      });
    });
  }

  const exportAll = (): Promise<void> => {
    exporting = exporting.then(async () => {
      for (const f of [...fns.values()]) await exportOne(f).catch(() => {});
    });
    return exporting;
  };
  const timer = setInterval(() => void exportAll(), options.intervalMs);
  timer.unref();

  return {
    record(key, resource, scopes, instruments, points) {
      if (!points.length) return;
      const f = get(key, resource);
      for (const [index, flat, values] of points) {
        const rec = instruments[index];
        if (!rec) continue;
        const inst = instrument(f, scopes, rec);
        if (!inst) continue;
        const attrs = toAttributes(flat);
        if (rec[2] === INSTRUMENT_COUNTER || rec[2] === INSTRUMENT_UP_DOWN_COUNTER) (inst as Counter).add(values[0] ?? 0, attrs);
        else if (rec[2] === INSTRUMENT_GAUGE) (inst as Gauge).record(values[0] ?? 0, attrs);
        else for (const v of values) (inst as Histogram).record(v, attrs);
      }
    },
    dropped(key, resource, drops) {
      const f = get(key, resource);
      for (let i = 0; i < DROP_KINDS.length; i++) if (drops[i]) f.dropped.add(drops[i]!, { 'isotel.telemetry.kind': DROP_KINDS[i]! });
    },
    flush: exportAll,
    async shutdown() {
      clearInterval(timer);
      await exportAll();
      await Promise.all([...fns.values()].map((f) => f.provider.shutdown().catch(() => {})));
      fns.clear();
      await exporter.shutdown();
    },
  };
}
