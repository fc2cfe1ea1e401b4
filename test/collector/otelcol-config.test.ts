/**
 * The otelcol-contrib configs in collector-config/otelcol: every pipeline names
 * defined components, the ClickHouse exporter writes exactly isotel's tables with
 * create_schema: false, and the agent load-balances traces by trace id.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { SCHEMA_DIR } from '../../collector/clickhouse/migrate.js';
import { METRIC_TABLES } from '../../collector/rows/tables.js';

type Cfg = Record<string, Record<string, any>>;
const load = (f: string) => parse(readFileSync(join(SCHEMA_DIR, '../../otelcol', f), 'utf8')) as Cfg;

for (const f of ['config.yaml', 'agent.yaml', 'gateway.yaml']) {
  test(`${f}: pipelines reference defined receivers, processors and exporters`, () => {
    const c = load(f);
    for (const [name, p] of Object.entries(c.service!.pipelines as Record<string, any>)) {
      for (const kind of ['receivers', 'processors', 'exporters'] as const) for (const id of p[kind] ?? []) assert.ok(c[kind]?.[id] !== undefined, `${f} pipeline ${name}: ${kind} ${id} is not defined`);
      assert.equal(p.processors[0], 'memory_limiter', `${f} pipeline ${name}: memory_limiter must come first`);
    }
    for (const id of c.service!.extensions ?? []) assert.ok(c.extensions?.[id] !== undefined, `${f}: extension ${id}`);
  });
}

test('the ClickHouse exporter writes isotel tables and never creates schema', () => {
  for (const f of ['config.yaml', 'gateway.yaml']) {
    const ch = load(f).exporters!.clickhouse;
    assert.equal(ch.create_schema, false);
    assert.equal(ch.traces_table_name, 'otel_traces');
    assert.equal(ch.logs_table_name, 'otel_logs');
    assert.deepEqual(
      Object.values(ch.metrics_tables).map((t: any) => t.name).sort(),
      [...METRIC_TABLES].sort(),
    );
    assert.equal(ch.retry_on_failure.max_elapsed_time, '0s', 'never give up on acknowledged data');
  }
  const schema = readFileSync(join(SCHEMA_DIR, '0003_otel_metrics.sql'), 'utf8');
  for (const t of METRIC_TABLES) assert.match(schema, new RegExp(`CREATE TABLE IF NOT EXISTS ${t} `));
});

test('the agent load-balances traces by trace id', () => {
  const lb = load('agent.yaml').exporters!.loadbalancing;
  assert.equal(lb.routing_key, 'traceID');
  assert.ok(lb.resolver.dns.hostname);
});
