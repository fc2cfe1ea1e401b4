/**
 * The collector's own settings (the shared ones — data dir, ports, ClickHouse URL —
 * are in common/settings.ts). `CollectorConfig` is both resolved together.
 */
import { defineSchema, parse, resolveConfig, setting, type Resolved } from '../common/config.js';
import { commonSchema } from '../common/settings.js';

export const collectorSchema = defineSchema('collector', {
  maxBodyBytes: setting('ISOTEL_COLLECTOR_MAX_BODY_BYTES', 16 * 1024 * 1024, 'Largest OTLP request body accepted, in bytes, compressed and decompressed alike (413 above it).', parse.int(1024, 1024 * 1024 * 1024)),
  queueFsync: setting('ISOTEL_COLLECTOR_QUEUE_FSYNC', false, 'fsync each queue commit (and directory) before acknowledging: acknowledged data then survives power loss, not only a crash or kill -9 of the collector, at the cost of ack latency under disk load.', parse.bool),
  commitDelayMs: setting('ISOTEL_COLLECTOR_COMMIT_DELAY_MS', 10, 'Group-commit window in ms: requests arriving within it share one fsync of the durable queue before they are acknowledged.', parse.int(0, 1000)),
  batchRows: setting('ISOTEL_COLLECTOR_BATCH_ROWS', 100_000, 'Rows per ClickHouse insert: an insert starts once this many rows of one table are queued.', parse.int(1, 10_000_000)),
  batchDelayMs: setting('ISOTEL_COLLECTOR_BATCH_DELAY_MS', 1000, 'Longest time in ms a queued row waits before it is inserted, even if the batch is not full.', parse.int(1, 600_000)),
  maxPendingBytes: setting('ISOTEL_COLLECTOR_MAX_PENDING_BYTES', 64 * 1024 * 1024, 'Encoded rows held in memory waiting for the next queue commit, in bytes; above it requests get 429 + Retry-After.', parse.int(1024 * 1024, 4 * 1024 * 1024 * 1024)),
  maxQueueBytes: setting('ISOTEL_COLLECTOR_MAX_QUEUE_BYTES', 2 * 1024 * 1024 * 1024, 'Durable queue size on disk, in bytes, before requests get 429 + Retry-After (e.g. while ClickHouse is down).', parse.int(1024 * 1024, Number.MAX_SAFE_INTEGER)),
  indexOnInsert: setting('ISOTEL_COLLECTOR_INDEX_ON_INSERT', false, 'Embedded engine: build the tables\' skip indexes during each insert; off: ClickHouse builds them when it merges parts (measured: inserts ~1.8× faster; only minutes-old, unmerged parts are read without them). A server keeps its own setting.', parse.bool),
  ttlDays: setting('ISOTEL_COLLECTOR_TTL_DAYS', 0, 'Days rows are kept (the exporter\'s `ttl`); 0 keeps them forever. Applied when a table is created.', parse.int(0, 36500)),
  queryTimeoutMs: setting('ISOTEL_COLLECTOR_QUERY_TIMEOUT_MS', 10_000, 'Time limit of one query API request, in ms.', parse.int(100, 600_000)),
  queryMaxRows: setting('ISOTEL_COLLECTOR_QUERY_MAX_ROWS', 10_000, 'Most rows one query API response returns (the rest are cut, `truncated: true`).', parse.int(1, 10_000_000)),
  insertRetryMaxMs: setting('ISOTEL_COLLECTOR_INSERT_RETRY_MAX_MS', 5000, 'Longest backoff between insert retries while ClickHouse is unavailable, in ms. Acknowledged data is never dropped.', parse.int(10, 600_000)),
});

export type CollectorConfig = Resolved<typeof commonSchema> & Resolved<typeof collectorSchema>;

/** Resolves the common and collector settings from the environment plus overrides. */
export function resolveCollectorConfig(options: Parameters<typeof resolveConfig>[1] = {}): CollectorConfig {
  const common = resolveConfig(commonSchema, options as never);
  const own = resolveConfig(collectorSchema, options as never);
  return Object.freeze({ ...common, ...own });
}
