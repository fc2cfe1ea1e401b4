/** The collector's self-telemetry in Prometheus text exposition format (GET /metrics). */
import type { QueueStats } from '../queue/queue.js';
import type { CollectorStats } from './stats.js';

export function p99(samples: readonly number[]): number {
  if (samples.length === 0) return 0;
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)]!;
}

export function prometheusText(stats: CollectorStats, q: QueueStats): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: [labels: string, value: number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [l, v] of samples) lines.push(`${name}${l} ${Number.isFinite(v) ? v : 0}`);
  };
  const per = (f: (s: CollectorStats['signals']['traces']) => number) => Object.entries(stats.signals).map(([sig, s]) => [`{signal="${sig}"}`, f(s)] as [string, number]);
  metric('isotel_collector_accepted_items_total', 'counter', 'Spans, log records and data points acknowledged (durably queued).', per((s) => s.accepted));
  metric('isotel_collector_rejected_items_total', 'counter', 'Items refused inside accepted requests (partial_success).', per((s) => s.rejected));
  metric('isotel_collector_requests_total', 'counter', 'OTLP export requests received.', per((s) => s.requests));
  metric('isotel_collector_refused_requests_total', 'counter', 'Requests refused with 429/503 (queue over capacity, shutting down, disk error).', per((s) => s.refusedRequests));
  metric('isotel_collector_bad_requests_total', 'counter', 'Requests refused as undecodable (400).', per((s) => s.badRequests));
  metric('isotel_collector_received_bytes_total', 'counter', 'Request body bytes received (after decompression).', per((s) => s.receivedBytes));
  metric('isotel_collector_inserted_rows_total', 'counter', 'Rows inserted into ClickHouse, per table.', Object.entries(q.insertedRows).map(([t, v]) => [`{table="${t}"}`, v]));
  metric('isotel_collector_dropped_rows_total', 'counter', 'Rows ClickHouse refused for good (moved to <dataDir>/queue/dead).', [['', q.deadRows]]);
  metric('isotel_collector_insert_failures_total', 'counter', 'Failed insert attempts (each is retried).', [['', q.insertFailures]]);
  metric('isotel_collector_inserts_total', 'counter', 'Successful inserts (batches).', [['', q.insertedBatches]]);
  metric('isotel_collector_queue_bytes', 'gauge', 'Bytes in the durable queue, not yet inserted.', [['', q.queuedBytes]]);
  metric('isotel_collector_queue_rows', 'gauge', 'Rows in the durable queue, not yet inserted.', [['', q.queuedRows]]);
  metric('isotel_collector_queue_pending_bytes', 'gauge', 'Bytes waiting for the next queue commit (memory).', [['', q.pendingBytes]]);
  metric('isotel_collector_queue_oldest_age_seconds', 'gauge', 'Age of the oldest queued row.', [['', q.oldestAgeMs / 1000]]);
  metric('isotel_collector_insert_last_duration_seconds', 'gauge', 'Duration of the last insert.', [['', q.lastInsertMs / 1000]]);
  metric('isotel_collector_ingest_lag_p99_seconds', 'gauge', 'p99 over recent inserts of acknowledged → inserted (queryable) time.', [['', p99(q.lagSamples) / 1000]]);
  metric('isotel_collector_uptime_seconds', 'gauge', 'Seconds since the collector started.', [['', (Date.now() - stats.startedAt) / 1000]]);
  return lines.join('\n') + '\n';
}
