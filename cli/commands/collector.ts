/** `isotel collector`: the embedded collector as its own process (supervised by `isotel up`). */
import type { Logger } from '../../common/log.js';
import { IsotelError } from '../../common/errors.js';
import { resolveCollectorConfig } from '../../collector/config.js';
import { startCollector } from '../../collector/index.js';
import { createViewerPlugin } from '../../dashboards/viewer/server.js';

export async function collectorCommand(log: Logger, overrides: Record<string, unknown>): Promise<void> {
  const config = resolveCollectorConfig({ overrides: overrides as never });
  let handle;
  try {
    handle = await startCollector({ config, log });
    handle.registerViewerPlugin(createViewerPlugin()); // the built-in viewer (dashboards/viewer) on the viewer port
  } catch (e) {
    if (e instanceof IsotelError) process.send?.({ t: 'fatal', error: e.toJSON().error });
    throw e;
  }
  const clickhouse = config.clickhouseUrl ? `${config.clickhouseUrl} (database ${config.clickhouseDatabase})` : `embedded, ${config.dataDir}/clickhouse`;
  process.send?.({ t: 'collector-ready', ports: handle.ports, clickhouse });
  log.info('collector ready', { otlpHttp: handle.ports.otlpHttp, otlpGrpc: handle.ports.otlpGrpc, viewer: handle.ports.viewer, clickhouse });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    handle.close().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error('collector shutdown failed', { error: e instanceof Error ? e.message : String(e) });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  // Ctrl-C reaches the whole process group; under `isotel up` the supervisor decides
  // the order (host first, so its last telemetry still arrives here).
  if (process.send) process.on('SIGINT', () => {});
  else process.once('SIGINT', stop);
}
