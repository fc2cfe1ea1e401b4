/** `isotel query "<sql>"`: a result table (or JSON) from whichever ClickHouse is configured. */
import { IsotelError } from '../../common/errors.js';
import { resolveCollectorConfig } from '../../collector/config.js';
import { formatTable, query } from '../../collector/query/client.js';

export async function queryCommand(sql: string, opts: { format: 'table' | 'json'; overrides: Record<string, unknown> }): Promise<number> {
  const config = resolveCollectorConfig({ overrides: opts.overrides as never });
  try {
    const result = await query(sql, { config, format: opts.format });
    process.stdout.write(opts.format === 'json' ? JSON.stringify(result.data, null, 2) + '\n' : formatTable(result) + '\n');
    return 0;
  } catch (e) {
    if (e instanceof IsotelError) {
      process.stderr.write(`isotel query: ${e.message} [${e.code}]\n`);
      return 1;
    }
    throw e;
  }
}
