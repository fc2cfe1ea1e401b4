/**
 * The ClickHouse cluster variant of the schema, derived from the single-node DDL
 * (collector-config/clickhouse/schema, still the single source): per table a
 * Replicated*MergeTree `<name>_local` on every shard and a Distributed `<name>` in
 * front of it; materialized views read and write the local tables, so each shard
 * rolls up its own rows and the Distributed tables merge the partial states.
 * The real OpenTelemetry Collector writes the Distributed tables (same names and
 * INSERT columns as single-node), with create_schema: false.
 *
 *   node dist/collector/clickhouse/cluster.js [cluster] [database] > collector-config/clickhouse/cluster/schema.sql
 */
import { fileURLToPath } from 'node:url';
import { loadMigrations } from './migrate.js';

/** How rows are spread over shards: a trace stays on one shard (trace view, trace-id lookup). */
const SHARDING: Record<string, string> = {
  otel_traces: 'cityHash64(TraceId)',
  otel_traces_trace_id_ts: 'cityHash64(TraceId)',
  otel_logs: 'cityHash64(TraceId)',
};

export function clusterDdl(cluster = 'isotel', database = 'otel'): string {
  const out: string[] = [
    '-- GENERATED from collector-config/clickhouse/schema by collector/clickhouse/cluster.ts; do not edit.',
    `-- Cluster '${cluster}', database '${database}'. Needs {shard} and {replica} macros on every node.`,
    `-- TTL: add \`TTL <expr> + toIntervalDay(N)\` to the _local tables as in the single-node files (omitted here: no TTL).`,
    `CREATE DATABASE IF NOT EXISTS ${database} ON CLUSTER ${cluster};`,
  ];
  for (const m of loadMigrations(0)) {
    out.push('', `-- from ${m.name}.sql`);
    for (const stmt of m.statements) out.push(convert(stmt, cluster, database) + ';');
  }
  return out.join('\n') + '\n';
}

function convert(stmt: string, cluster: string, db: string): string {
  const table = /^CREATE TABLE IF NOT EXISTS (\w+)/.exec(stmt);
  if (table) {
    const name = table[1]!;
    const local = stmt
      .replace(/^CREATE TABLE IF NOT EXISTS (\w+)/, `CREATE TABLE IF NOT EXISTS ${db}.$1_local ON CLUSTER ${cluster}`)
      .replace(/ENGINE = (\w*)MergeTree\(\)/, (_m, kind: string) => `ENGINE = Replicated${kind}MergeTree('/clickhouse/tables/{shard}/${db}/${name}_local', '{replica}')`)
      // Replicated tables deduplicate inserts by token with replicated_deduplication_window.
      .replace(/,?\s*non_replicated_deduplication_window = \d+/, '')
      .replace(/SETTINGS\s*$/, '')
      .trimEnd();
    const dist = `CREATE TABLE IF NOT EXISTS ${db}.${name} ON CLUSTER ${cluster} AS ${db}.${name}_local\nENGINE = Distributed(${cluster}, ${db}, ${name}_local, ${SHARDING[name] ?? 'rand()'})`;
    return `${local};\n${dist}`;
  }
  const mv = /^CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+)\s+TO (\w+)/.exec(stmt);
  if (mv) {
    return stmt
      .replace(/^CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+)\s+TO (\w+)/, `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.$1 ON CLUSTER ${cluster} TO ${db}.$2_local`)
      .replace(/\bFROM (otel_\w+)/, `FROM ${db}.$1_local`);
  }
  throw new Error(`cluster DDL: unexpected statement ${stmt.slice(0, 60)}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(clusterDdl(process.argv[2], process.argv[3]));
