/** Test helpers for the dashboards: an embedded ClickHouse in a temp dir with the collector's schema and generated telemetry. */
import { rmSync } from 'node:fs';
import { Engine } from '../../collector/clickhouse/engine.js';
import { createLogger } from '../../common/log.js';
import type { QueryFn } from '../../dashboards/viewer/dashboards.js';
import { tempDir } from '../helpers/processes.js';
import { functionNames, generateTelemetry, type GenerateOptions, type Generated } from './generate.js';

export interface Loaded {
  engine: Engine;
  query: QueryFn;
  generated: Generated;
  dataDir: string;
  close(): Promise<void>;
}

export async function openEngine(dataDir = tempDir('isotel-dash-')): Promise<{ engine: Engine; query: QueryFn; dataDir: string }> {
  const engine = await Engine.open({ dataDir, clickhouseUrl: '', clickhouseUser: 'default', clickhousePassword: '', clickhouseDatabase: 'default', ttlDays: 0 }, createLogger('test', 'warn'));
  await engine.migrate(0);
  const query: QueryFn = (sql) => engine.readQuery(sql, { timeoutMs: 60_000, maxRows: 10_000, compact: true, wrap: false });
  return { engine, query, dataDir };
}

export async function loadedEngine(opts: Partial<GenerateOptions> = {}): Promise<Loaded> {
  const { engine, query, dataDir } = await openEngine();
  const count = async (sql: string): Promise<number> => Number((((await query(sql)).data[0] as unknown[]) ?? [0])[0]);
  const generated = await generateTelemetry((sql) => engine.command(sql), count, { functions: functionNames(12), invocations: 30_000, hours: 24, ...opts });
  return {
    engine,
    query,
    generated,
    dataDir,
    close: async () => {
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
