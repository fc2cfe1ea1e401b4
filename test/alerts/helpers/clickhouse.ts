/** A private embedded ClickHouse (own temp data directory) with the collector's schema applied. */
import { rmSync } from 'node:fs';
import { createLogger } from '../../../common/log.js';
import { Engine } from '../../../collector/clickhouse/engine.js';
import { tempDir } from '../../helpers/processes.js';

export interface TestClickHouse {
  engine: Engine;
  /** Rows of a read-only query, as the collector's query API runs it. */
  rows<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  close(): Promise<void>;
}

export async function openTestClickHouse(): Promise<TestClickHouse> {
  const dataDir = tempDir('isotel-alerts-');
  const log = createLogger('test', 'warn');
  const engine = await Engine.open({ dataDir, clickhouseUrl: '', clickhouseUser: 'default', clickhousePassword: '', clickhouseDatabase: 'default', ttlDays: 0 }, log);
  await engine.migrate(0);
  return {
    engine,
    rows: async <T>(sql: string) => (await engine.readQuery(sql, { timeoutMs: 120_000, maxRows: 1_000_000, compact: false, wrap: false })).data as T[],
    close: async () => {
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
