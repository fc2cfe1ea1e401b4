/**
 * Self-telemetry into ClickHouse: every interval the collector writes its own
 * counters and queue gauges as metric rows (ServiceName 'isotel-collector') through
 * its own pipeline, so they sit beside the data they describe. It never traces
 * itself: these rows are built in memory, no OTLP export, no spans.
 */
import { hostname } from 'node:os';
import { COLLECTOR_METRIC, COLLECTOR_SERVICE } from '../../sdk/protocol/names.js';
import type { DecodedRequest, KeyValueMsg, MetricMsg, NumberPointMsg } from '../decode/otlp.js';
import type { DurableQueue } from '../queue/queue.js';
import type { Pipeline } from '../receive/pipeline.js';
import { p99 } from './prometheus.js';
import type { CollectorStats } from './stats.js';

const nanos = (b: bigint) => ({ low: Number(b & 0xffffffffn) | 0, high: Number(b >> 32n) | 0, unsigned: true });
const kv = (key: string, value: string): KeyValueMsg => ({ key, value: { value: 'stringValue', stringValue: value } });

export class SelfTelemetry {
  private timer: NodeJS.Timeout | undefined;
  private readonly start_ = BigInt(Date.now()) * 1_000_000n;

  constructor(
    private readonly pipeline: Pipeline,
    private readonly stats: CollectorStats,
    private readonly queue: DurableQueue,
    private readonly intervalMs = 10_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.emit().catch(() => {}), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Builds this interval's rows and queues them (dropped silently if the queue is full). */
  async emit(): Promise<void> {
    const now = BigInt(Date.now()) * 1_000_000n;
    const point = (value: number, attrs: KeyValueMsg[] = []): NumberPointMsg => ({
      attributes: attrs,
      startTimeUnixNano: nanos(this.start_),
      timeUnixNano: nanos(now),
      value: 'asDouble',
      asDouble: value,
      exemplars: [],
      flags: 0,
    });
    const sum = (name: string, points: NumberPointMsg[]): MetricMsg => ({ name, description: '', unit: '1', data: 'sum', sum: { dataPoints: points, aggregationTemporality: 2, isMonotonic: true } });
    const gauge = (name: string, unit: string, value: number): MetricMsg => ({ name, description: '', unit, data: 'gauge', gauge: { dataPoints: [point(value)] } });
    const q = this.queue.gauges();
    const perSignal = (f: (s: CollectorStats['signals']['traces']) => number) => Object.entries(this.stats.signals).map(([sig, s]) => point(f(s), [kv('signal', sig)]));
    const metrics: MetricMsg[] = [
      sum(COLLECTOR_METRIC.acceptedItems, perSignal((s) => s.accepted)),
      sum(COLLECTOR_METRIC.rejectedItems, perSignal((s) => s.rejected)),
      sum(COLLECTOR_METRIC.refusedRequests, perSignal((s) => s.refusedRequests)),
      sum(COLLECTOR_METRIC.badRequests, perSignal((s) => s.badRequests)),
      sum(COLLECTOR_METRIC.insertedRows, Object.entries(q.insertedRows).map(([t, v]) => point(v, [kv('table', t)]))),
      sum(COLLECTOR_METRIC.droppedRows, [point(q.deadRows)]),
      sum(COLLECTOR_METRIC.insertFailures, [point(q.insertFailures)]),
      gauge(COLLECTOR_METRIC.queueBytes, 'By', q.queuedBytes),
      gauge(COLLECTOR_METRIC.queueRows, '1', q.queuedRows),
      gauge(COLLECTOR_METRIC.queueOldestAge, 's', q.oldestAgeMs / 1000),
      gauge(COLLECTOR_METRIC.insertDuration, 's', q.lastInsertMs / 1000),
      gauge(COLLECTOR_METRIC.ingestLagP99, 's', p99(q.lagSamples) / 1000),
    ];
    const req: DecodedRequest = {
      resourceMetrics: [
        {
          resource: { attributes: [kv('service.name', COLLECTOR_SERVICE), kv('host.name', hostname()), kv('process.pid', String(process.pid))] },
          schemaUrl: '',
          scopeMetrics: [{ scope: { name: COLLECTOR_SERVICE, version: '' }, schemaUrl: '', metrics }],
        },
      ],
    };
    await this.pipeline.ingestOwn('metrics', req);
  }
}
