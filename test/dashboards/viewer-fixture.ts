/**
 * The viewer as the collector serves it, over generated telemetry: the collector's own
 * viewer-port server (collector/query/api.ts) and read-only query path, with the
 * dashboards plugin registered — used by the browser tests and scripts/screenshots.mjs.
 */
import { ViewerServer } from '../../collector/query/api.js';
import { runReadOnly } from '../../collector/query/readonly.js';
import { createLogger } from '../../common/log.js';
import { createViewerPlugin } from '../../dashboards/viewer/server.js';
import type { GenerateOptions } from './generate.js';
import { loadedEngine, type Loaded } from './helpers.js';

export interface ViewerFixture {
  url: string;
  loaded: Loaded;
  close(): Promise<void>;
}

export async function startViewerFixture(opts: Partial<GenerateOptions> = {}): Promise<ViewerFixture> {
  const loaded = await loadedEngine(opts);
  const log = createLogger('viewer-test', 'warn');
  const server = new ViewerServer({ query: (sql, format = 'JSONEachRow') => runReadOnly(loaded.engine, sql, format, { timeoutMs: 30_000, maxRows: 10_000 }) }, () => '', log);
  server.register(createViewerPlugin());
  const port = await server.listen('127.0.0.1', 0);
  return {
    url: `http://127.0.0.1:${port}`,
    loaded,
    close: async () => {
      await server.close();
      await loaded.close();
    },
  };
}
