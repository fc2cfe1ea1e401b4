/**
 * Host metrics of a worker process through @opentelemetry/sdk-metrics: the FaaS
 * semantic-convention instruments (per invocation, with `faas.name` and
 * `faas.version` as point attributes) and isotel's density gauges. The Resource is
 * the host's (`service.name` = isotel-host), not a function's: these are the host's
 * measurements about functions.
 */
import type { Attributes, Meter } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { availableParallelism, hostname } from 'node:os';
import { hrToUnixNano } from '../../common/time.js';
import { METRIC, RESOURCE } from '../../sdk/protocol/names.js';
import type { InvocationEvent } from '../pool/events.js';

/** FaaS semconv advisory buckets, seconds. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

export interface DensitySource {
  residentByFunction(): Map<string, { instances: number; heapBytes: number }>;
  readonly residentInstances: number;
  readonly deployedVersions: number;
  readonly evictions: number;
  readonly scaledToZero: number;
  readonly poolSize: number;
  readonly poolMisses: number;
}

export interface HostMetrics {
  /** The host's MeterProvider: also carries the SDK processors' self-observability (queue_full drops of the shared span and log queues). */
  readonly meterProvider: MeterProvider;
  recordInvocation(event: InvocationEvent): void;
  observe(source: () => DensitySource): void;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export function startHostMetrics(baseUrl: string, workerId: string): HostMetrics {
  const intervalMs = Number(process.env.OTEL_METRIC_EXPORT_INTERVAL ?? 10_000);
  const reader = new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${baseUrl}/v1/metrics` }), exportIntervalMillis: intervalMs, exportTimeoutMillis: Math.min(intervalMs, 10_000) });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ [RESOURCE.serviceName]: 'isotel-host', [RESOURCE.hostName]: hostname(), [RESOURCE.processPid]: process.pid, 'isotel.worker.id': workerId }),
    readers: [reader],
  });
  const meter: Meter = provider.getMeter('isotel.host');
  const advice = { explicitBucketBoundaries: DURATION_BUCKETS };
  const invokeDuration = meter.createHistogram(METRIC.invokeDuration, { unit: 's', description: 'Invocation duration, request received to response complete', advice });
  const initDuration = meter.createHistogram(METRIC.initDuration, { unit: 's', description: 'Cold-start duration: acquire, compile, evaluate', advice });
  const cpuUsage = meter.createHistogram(METRIC.cpuUsage, { unit: 's', description: 'CPU time of the isolate during an invocation', advice });
  const coldstarts = meter.createCounter(METRIC.coldstarts, { unit: '{coldstart}' });
  const invocations = meter.createCounter(METRIC.invocations, { unit: '{invocation}' });
  const errors = meter.createCounter(METRIC.errors, { unit: '{error}' });
  const timeouts = meter.createCounter(METRIC.timeouts, { unit: '{timeout}' });

  return {
    recordInvocation(event) {
      const attrs: Attributes = { 'faas.trigger': 'http', [RESOURCE.faasName]: event.instance.fn, [RESOURCE.faasVersion]: event.instance.version };
      if (event.endHr !== undefined) invokeDuration.record(Number(hrToUnixNano(event.endHr) - event.startUnixNano) / 1e9, attrs);
      if (event.cpuTimeNs !== undefined) cpuUsage.record(Number(event.cpuTimeNs) / 1e9, attrs);
      const p = event.coldStartPhases;
      if (p) {
        coldstarts.add(1, attrs);
        initDuration.record(Number(p.evaluate[1] - p.acquire[0]) / 1e9, attrs);
      }
      if (event.error?.code === 'ISOTEL_ERR_LIMIT_WALL_TIME') timeouts.add(1, attrs);
      else if (event.error || (event.status ?? 0) >= 500) errors.add(1, attrs);
      else invocations.add(1, attrs);
    },
    observe(source) {
      const resident = meter.createObservableGauge(METRIC.instancesResident, { unit: '{instance}', description: 'Resident function instances (per function with faas.name; the worker total without)' });
      const functions = meter.createObservableGauge(METRIC.functionsResident, { unit: '{function}', description: 'Functions with at least one resident instance' });
      const heap = meter.createObservableGauge(METRIC.instanceHeap, { unit: 'By', description: 'Isolate heap of resident instances, per function' });
      const poolSize = meter.createObservableGauge(METRIC.poolSize, { unit: '{isolate}', description: 'Pre-initialised isolates ready' });
      const rss = meter.createObservableGauge(METRIC.hostRss, { unit: 'By', description: 'Resident set size of the worker process' });
      const cpus = meter.createObservableGauge(METRIC.hostCpus, { unit: '{cpu}', description: 'CPUs available to the host (for functions per core)' });
      const poolMisses = meter.createObservableCounter(METRIC.poolMisses, { unit: '{miss}' });
      const evictions = meter.createObservableCounter(METRIC.evictions, { unit: '{instance}' });
      const scaled = meter.createObservableCounter(METRIC.scaleToZero, { unit: '{instance}' });
      meter.addBatchObservableCallback(
        (r) => {
          const s = source();
          const byFn = s.residentByFunction();
          for (const [fn, v] of byFn) {
            r.observe(resident, v.instances, { [RESOURCE.faasName]: fn });
            r.observe(heap, v.heapBytes, { [RESOURCE.faasName]: fn });
          }
          r.observe(resident, s.residentInstances);
          r.observe(functions, byFn.size);
          r.observe(poolSize, s.poolSize);
          r.observe(rss, process.memoryUsage.rss());
          r.observe(cpus, availableParallelism());
          r.observe(poolMisses, s.poolMisses);
          r.observe(evictions, s.evictions);
          r.observe(scaled, s.scaledToZero);
        },
        [resident, functions, heap, poolSize, rss, cpus, poolMisses, evictions, scaled],
      );
    },
    meterProvider: provider,
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
