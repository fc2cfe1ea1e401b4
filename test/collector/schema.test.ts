/**
 * The DDL: the single-node schema applies idempotently and holds exactly the
 * exporter's INSERT columns; the cluster variant is generated from it, is current,
 * and every statement parses; the SQL uses only telemetry names from names.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { clusterDdl } from '../../collector/clickhouse/cluster.js';
import { Engine } from '../../collector/clickhouse/engine.js';
import { loadMigrations, SCHEMA_DIR, splitStatements } from '../../collector/clickhouse/migrate.js';
import { TABLE_COLUMNS, TABLES } from '../../collector/rows/tables.js';
import { createLogger } from '../../common/log.js';
import { ATTR, METRIC, RESOURCE, SPAN } from '../../sdk/protocol/names.js';
import { tempDir } from './helpers.js';

test('migrations apply twice without change, and every exporter INSERT column exists with its type family', async () => {
  const dataDir = tempDir();
  const log = createLogger('test', 'silent');
  const engine = await Engine.open({ dataDir, clickhouseUrl: '', clickhouseUser: 'default', clickhousePassword: '', clickhouseDatabase: 'default', ttlDays: 7 }, log);
  try {
    assert.equal(await engine.migrate(7), loadMigrations(7).length);
    assert.equal(await engine.migrate(7), 0, 'already applied');
    for (const t of TABLES) {
      const cols = await engine.readQuery(`SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = '${t}'`, { timeoutMs: 5000, maxRows: 1000, compact: false, wrap: true });
      const types = new Map((cols.data as { name: string; type: string }[]).map((c) => [c.name, c.type]));
      for (const [name, rb] of TABLE_COLUMNS[t]) {
        const type = types.get(name);
        assert.ok(type, `${t}.${name} is missing`);
        // RowBinary writes the plain type; the table may wrap it in LowCardinality.
        const plain = type.replace(/LowCardinality\((\w+)\)/g, '$1');
        assert.equal(plain, rb.replace('Bool', 'Bool'), `${t}.${name}: table ${type}, queue ${rb}`);
      }
    }
    const ttl = await engine.readQuery("SELECT engine_full FROM system.tables WHERE name = 'otel_traces'", { timeoutMs: 5000, maxRows: 1, compact: true, wrap: true });
    assert.match(String((ttl.data[0] as unknown[])[0]), /TTL toDateTime\(Timestamp\) \+ toIntervalDay\(7\)/);
    // The cluster DDL is current and parses.
    assert.equal(readFileSync(join(SCHEMA_DIR, '../cluster/schema.sql'), 'utf8'), clusterDdl(), 'run: node dist/collector/clickhouse/cluster.js > collector-config/clickhouse/cluster/schema.sql');
    for (const stmt of splitStatements(clusterDdl())) {
      for (const part of stmt.split(/;\n(?=CREATE)/)) assert.ok(await engine.statementKind(part), part.slice(0, 80));
    }
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('the rollup SQL names only spans, attributes and metrics defined in sdk/protocol/names.ts', () => {
  const known = new Set<string>([...Object.values(SPAN), ...Object.values(ATTR), ...Object.values(METRIC), ...Object.values(RESOURCE)]);
  const sql = readFileSync(join(SCHEMA_DIR, '0004_isotel_rollups.sql'), 'utf8').replace(/--.*$/gm, '');
  const used = [...sql.matchAll(/'((?:faas|isotel|host|service|http|url)\.[a-z_.]+)'/g)].map((m) => m[1]!).filter((n) => !n.endsWith('.'));
  assert.ok(used.length >= 8);
  for (const n of used) assert.ok(known.has(n), `${n} is not in sdk/protocol/names.ts`);
});
