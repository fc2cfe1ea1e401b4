/**
 * The embedded collector: OTLP receivers → decode → rows → durable queue → ClickHouse,
 * plus the read-only query API on the viewer port.
 *
 *   const c = await startCollector({ config: resolveCollectorConfig() });
 *   c.ports.otlpHttp … ; await c.close();
 *
 * close() stops accepting, commits what is pending, inserts everything acknowledged
 * (up to a deadline when ClickHouse is down: the rest stays queued on disk and is
 * inserted by the next start), then closes the engine.
 */
import { join } from 'node:path';
import { createLogger, type Logger } from '../common/log.js';
import { Engine } from './clickhouse/engine.js';
import type { CollectorConfig } from './config.js';
import { claimDataDir, publishCollectorInfo, releaseDataDir } from './lock.js';
import { ViewerServer, type ViewerPlugin } from './query/api.js';
import { runReadOnly } from './query/readonly.js';
import { DurableQueue } from './queue/queue.js';
import { GrpcReceiver } from './receive/grpc.js';
import { HttpReceiver } from './receive/http.js';
import { Pipeline } from './receive/pipeline.js';
import { prometheusText } from './telemetry/prometheus.js';
import { SelfTelemetry } from './telemetry/self.js';
import { resolveAlertConfig, startAlerting } from './alerts/index.js';
import { CollectorStats } from './telemetry/stats.js';

export type { CollectorConfig } from './config.js';
export { resolveCollectorConfig, collectorSchema } from './config.js';
export type { ViewerPlugin, ViewerContext } from './query/api.js';

export interface CollectorHandle {
  readonly ports: { otlpHttp: number; otlpGrpc: number; viewer: number };
  /** Adds a handler on the viewer port (the built-in viewer); tried after the API routes. */
  registerViewerPlugin(plugin: ViewerPlugin): void;
  /** Counters and queue gauges (what /metrics shows). */
  metricsText(): string;
  close(): Promise<void>;
}

export async function startCollector(opts: { config: CollectorConfig; log?: Logger }): Promise<CollectorHandle> {
  const c = opts.config;
  const log = opts.log ?? createLogger('collector', c.logLevel);
  claimDataDir(c.dataDir);
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const f of cleanups.reverse()) await f().catch((e: unknown) => log.warn('cleanup failed', { error: e as Error }));
    releaseDataDir(c.dataDir);
  };
  try {
    const engine = await Engine.open(c, log.child('clickhouse'));
    cleanups.push(() => engine.close());
    await engine.migrate(c.ttlDays);

    const stats = new CollectorStats();
    const queue = new DurableQueue(
      {
        dir: join(c.dataDir, 'queue'),
        fsync: c.queueFsync,
        commitDelayMs: c.commitDelayMs,
        batchRows: c.batchRows,
        batchDelayMs: c.batchDelayMs,
        maxPendingBytes: c.maxPendingBytes,
        maxQueueBytes: c.maxQueueBytes,
        insertRetryMaxMs: c.insertRetryMaxMs,
      },
      engine,
      log.child('queue'),
    );
    queue.open();
    cleanups.push(() => queue.close());
    const pipeline = new Pipeline(queue, stats);
    const self = new SelfTelemetry(pipeline, stats, queue);
    self.start();
    cleanups.push(async () => self.stop());

    const metricsText = () => prometheusText(stats, queue.gauges());
    const viewer = new ViewerServer({ query: (sql, format = 'JSONEachRow') => runReadOnly(engine, sql, format, { timeoutMs: c.queryTimeoutMs, maxRows: c.queryMaxRows }) }, metricsText, log.child('viewer'));
    const http = new HttpReceiver(pipeline, { bind: c.bind, port: c.otlpHttpPort, maxBodyBytes: c.maxBodyBytes, retryAfterSeconds: () => queue.retryAfterSeconds() }, log.child('otlp-http'));
    const grpc = new GrpcReceiver(pipeline, { bind: c.bind, port: c.otlpGrpcPort, maxBodyBytes: c.maxBodyBytes }, log.child('otlp-grpc'));
    const ports = {
      otlpHttp: await listenOrExplain(() => http.listen(), 'ISOTEL_OTLP_HTTP_PORT', c.otlpHttpPort),
      otlpGrpc: 0,
      viewer: 0,
    };
    cleanups.push(() => http.close());
    ports.otlpGrpc = await listenOrExplain(() => grpc.listen(), 'ISOTEL_OTLP_GRPC_PORT', c.otlpGrpcPort);
    cleanups.push(() => grpc.close());
    ports.viewer = await listenOrExplain(() => viewer.listen(c.bind, c.viewerPort), 'ISOTEL_VIEWER_PORT', c.viewerPort);
    cleanups.push(() => viewer.close());
    // Alert rules run here because the embedded engine belongs to this process (collector/alerts).
    const alerting = startAlerting({ query: (sql) => runReadOnly(engine, sql, 'JSONEachRow', { timeoutMs: c.queryTimeoutMs, maxRows: c.queryMaxRows }), config: resolveAlertConfig(), externalUrl: `http://${c.bind}:${ports.viewer}`, log: log.child('alerts') });
    viewer.register(alerting.plugin);
    cleanups.push(() => alerting.close());
    publishCollectorInfo(c.dataDir, { pid: process.pid, bind: c.bind, ports, clickhouse: c.clickhouseUrl || join(c.dataDir, 'clickhouse') });

    let closing: Promise<void> | undefined;
    return {
      ports,
      registerViewerPlugin: (p) => viewer.register(p),
      metricsText,
      close: () => (closing ??= (async () => {
        // Stop accepting first (receivers), then drain the queue, then the engine.
        await alerting.close();
        await viewer.close();
        await grpc.close();
        await http.close();
        self.stop();
        await queue.close();
        await engine.close();
        releaseDataDir(c.dataDir);
        log.info('collector closed');
      })()),
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

async function listenOrExplain(listen: () => Promise<number>, env: string, port: number): Promise<number> {
  try {
    return await listen();
  } catch (e) {
    if ((e as { code?: string }).code === 'EADDRINUSE') {
      const { IsotelError } = await import('../common/errors.js');
      throw new IsotelError('ISOTEL_ERR_PORT_IN_USE', `port ${port} is in use (${env})`, { cause: e });
    }
    throw e;
  }
}
