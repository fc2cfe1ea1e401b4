/** Test helpers: a collector on a fresh data dir and ephemeral ports, and a query shortcut. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveCollectorConfig, type CollectorConfig } from '../../collector/config.js';
import { startCollector, type CollectorHandle } from '../../collector/index.js';

export interface TestCollector {
  handle: CollectorHandle;
  config: CollectorConfig;
  dataDir: string;
  otlp(path: string): string;
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Waits until `sql` returns a first column ≥ `n` (rows become queryable after the batch delay). */
  waitFor(sql: string, n: number, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

export function tempDir(prefix = 'isotel-collector-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function testConfig(dataDir: string, env: Record<string, string> = {}): CollectorConfig {
  return resolveCollectorConfig({
    env: {
      ISOTEL_DATA_DIR: dataDir,
      ISOTEL_OTLP_HTTP_PORT: '0',
      ISOTEL_OTLP_GRPC_PORT: '0',
      ISOTEL_VIEWER_PORT: '0',
      ISOTEL_COLLECTOR_BATCH_DELAY_MS: '100',
      ISOTEL_LOG_LEVEL: 'warn',
      ...env,
    },
  });
}

export async function queryApi<T>(viewerPort: number, sql: string): Promise<T[]> {
  const res = await fetch(`http://127.0.0.1:${viewerPort}/api/query`, { method: 'POST', body: JSON.stringify({ sql }) });
  const body = (await res.json()) as { data: T[]; error?: { message: string } };
  if (!res.ok) throw new Error(`query failed (${res.status}): ${body.error?.message}`);
  return body.data;
}

export async function startTestCollector(env: Record<string, string> = {}, dataDir = tempDir()): Promise<TestCollector> {
  const config = testConfig(dataDir, env);
  const handle = await startCollector({ config });
  const query = <T>(sql: string) => queryApi<T>(handle.ports.viewer, sql);
  return {
    handle,
    config,
    dataDir,
    otlp: (path) => `http://127.0.0.1:${handle.ports.otlpHttp}${path}`,
    query,
    async waitFor(sql, n, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      let last = -1;
      while (Date.now() < end) {
        const rows = await query<Record<string, unknown>>(sql);
        last = Number(Object.values(rows[0] ?? {})[0] ?? 0);
        if (last >= n) return last;
        await new Promise((r) => setTimeout(r, 50));
      }
      return last;
    },
    async close() {
      await handle.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
