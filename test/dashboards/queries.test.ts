/**
 * Every panel of every dashboard, run for real: generated host-shaped telemetry in the
 * embedded ClickHouse (through the collector's schema and rollup MVs), each target's SQL
 * expanded with the shared macro expander, and the result checked for the columns its
 * panel type needs. Also: every telemetry name in the SQL is defined in
 * sdk/protocol/names.ts, and the trace data link runs against a real trace.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ATTR, METRIC, RESOURCE, SPAN } from '../../sdk/protocol/names.js';
import { allPanels, createRunner, loadDashboards, resolveVariables, runPanel, variableValues, type Dashboard, type Frame, type Panel, type Runner } from '../../dashboards/viewer/dashboards.js';
import { ALL, expandQuery } from '../../dashboards/viewer/macros.js';
import { loadedEngine, type Loaded } from './helpers.js';

const dashboards = loadDashboards();

/** Quoted literals that look like OpenTelemetry names (namespace.name). */
export function telemetryNamesIn(sql: string): string[] {
  const out = new Set<string>();
  for (const m of sql.matchAll(/'((?:faas|isotel|http|url|service|host|process|cloud|telemetry|error|user_agent|server|exception)\.[a-z0-9_.]+)'/g)) out.add(m[1]!);
  return [...out];
}
const KNOWN = new Set<string>([...Object.values(RESOURCE), ...Object.values(SPAN), ...Object.values(ATTR), ...Object.values(METRIC)]);

function sqlOf(d: Dashboard): string[] {
  const out: string[] = [];
  for (const v of d.templating?.list ?? []) if (typeof v.query === 'object' && v.query?.rawSql) out.push(v.query.rawSql);
  for (const p of allPanels(d)) for (const t of p.targets ?? []) out.push(t.rawSql);
  return out;
}

test('the three dashboards exist with the expected uids and variables', () => {
  const byUid = new Map(dashboards.map((d) => [d.uid, d]));
  for (const uid of ['isotel-fleet-density', 'isotel-latency', 'isotel-function-detail']) assert.ok(byUid.has(uid), `missing ${uid}`);
  const detail = byUid.get('isotel-function-detail')!;
  assert.ok(detail.templating?.list.some((v) => v.name === 'function' && v.type === 'query'), 'function-detail has a $function query variable');
  for (const d of dashboards) assert.ok(d.templating?.list.some((v) => v.type === 'datasource' && v.query === 'grafana-clickhouse-datasource'), `${d.uid}: data source referenced through a datasource variable`);
});

test('every telemetry name in dashboard SQL is defined in sdk/protocol/names.ts', () => {
  const unknown: string[] = [];
  for (const d of dashboards) for (const sql of sqlOf(d)) for (const n of telemetryNamesIn(sql)) if (!KNOWN.has(n)) unknown.push(`${d.file}: ${n}`);
  assert.deepEqual(unknown, []);
  // The check itself catches a drifted name.
  assert.deepEqual(telemetryNamesIn("WHERE MetricName = 'isotel.instances.residnet'").filter((n) => !KNOWN.has(n)), ['isotel.instances.residnet']);
});

/** What each panel type needs from its frames. */
function checkShape(panel: Panel, frames: Frame[]): void {
  const where = `${panel.type} panel "${panel.title}" (id ${panel.id})`;
  for (const f of frames) assert.equal(f.error, undefined, `${where} target ${f.refId} failed: ${f.error?.message}\n${f.sql}`);
  // A second target may legitimately be empty (a function that never timed out has no faas.timeouts series).
  assert.ok(frames[0]!.rows > 0, `${where} target ${frames[0]!.refId} returned no rows\n${frames[0]!.sql}`);
  for (const f of frames) {
    if (f.rows === 0) continue;
    const numeric = f.fields.filter((x) => x.type === 'number');
    switch (panel.type) {
      case 'timeseries': {
        assert.equal(f.fields[0]?.type, 'time', `${where}: first column must be the time (got ${f.fields[0]?.name}: ${f.fields[0]?.chType})`);
        assert.ok(numeric.length >= 1, `${where}: needs a numeric value column`);
        const times = f.fields[0]!.values as number[];
        assert.ok(times.every((t) => Number.isFinite(t)), `${where}: time values parse`);
        assert.ok(times.every((t, i) => i === 0 || t >= times[i - 1]!), `${where}: ordered by time`);
        break;
      }
      case 'stat':
        assert.equal(f.rows, 1, `${where}: one row`);
        assert.ok(numeric.length >= 1, `${where}: needs a numeric value`);
        assert.ok(Number.isFinite(numeric[0]!.values[0] as number), `${where}: value is a finite number (got ${numeric[0]!.values[0]})`);
        break;
      case 'barchart': {
        const x = String(panel.options?.xField ?? '');
        const xf = f.fields.find((c) => c.name === x);
        assert.ok(xf && xf.type === 'string', `${where}: xField "${x}" must be a string column`);
        assert.ok(numeric.length >= 1, `${where}: needs numeric bars`);
        break;
      }
      case 'table':
        assert.ok(f.fields.length >= 2, `${where}: columns`);
        break;
      case 'logs':
        assert.equal(f.fields[0]?.type, 'time', `${where}: logs start with their time`);
        assert.ok(f.fields.some((c) => c.name === 'body') && f.fields.some((c) => c.name === 'level'), `${where}: body and level columns`);
        break;
      default:
        assert.fail(`${where}: panel type the viewer does not draw`);
    }
  }
}

describe('panel queries over generated telemetry', () => {
  let loaded: Loaded;
  let runner: Runner;
  let range: { from: number; to: number };
  before(async () => {
    loaded = await loadedEngine({ invocations: 30_000 });
    runner = createRunner(loaded.query);
    range = { from: loaded.generated.endMs - 6 * 3_600_000, to: loaded.generated.endMs };
  });
  after(async () => loaded?.close());

  for (const d of dashboards) {
    test(`${d.title}: every panel runs with its default variables and returns the columns it needs`, async () => {
      const vars = await resolveVariables(runner, d, range, {});
      for (const v of vars) assert.ok(v.options.length > 0, `${d.uid}: variable ${v.name} has options`);
      const { values, options } = variableValues(vars);
      const panels = allPanels(d);
      assert.ok(panels.length >= 8, `${d.uid} has its panels`);
      for (const p of panels) {
        const { frames } = await runPanel(runner, p, { range, variables: values, maxDataPoints: 200 }, options);
        assert.equal(frames.length, p.targets?.length ?? 0);
        checkShape(p, frames);
      }
    });
  }

  test('multi-value variables: one function and two functions narrow the latency dashboard', async () => {
    const d = dashboards.find((x) => x.uid === 'isotel-latency')!;
    const stat = allPanels(d).find((p) => p.title === 'Invocations')!;
    const total = async (fn: string[] | string): Promise<number> => {
      const vars = await resolveVariables(runner, d, range, { function: fn });
      const { values, options } = variableValues(vars);
      const { frames } = await runPanel(runner, stat, { range, variables: values }, options);
      return frames[0]!.fields[0]!.values[0] as number;
    };
    const all = await total([ALL]);
    const one = await total(['checkout']);
    const two = await total(['checkout', 'auth']);
    assert.ok(one > 0 && one < two && two < all, `${one} < ${two} < ${all}`);
  });

  test('function detail: the variable picks each function and the stats follow it', async () => {
    const d = dashboards.find((x) => x.uid === 'isotel-function-detail')!;
    const stat = allPanels(d).find((p) => p.title === 'Invocations')!;
    const counts = new Map<string, number>();
    for (const fn of ['checkout', 'search']) {
      const vars = await resolveVariables(runner, d, range, { function: fn });
      assert.equal(vars.find((v) => v.name === 'function')!.value, fn);
      const { frames } = await runPanel(runner, stat, { range, variables: variableValues(vars).values });
      counts.set(fn, frames[0]!.fields[0]!.values[0] as number);
    }
    const direct = await loaded.query(`SELECT count() FROM otel_traces WHERE ServiceName = 'checkout' AND SpanKind = 'Server' AND Timestamp >= toDateTime(${Math.floor(range.from / 1000)}) AND Timestamp <= toDateTime(${Math.floor(range.to / 1000)})`);
    const expected = Number((direct.data[0] as unknown[])[0]);
    // The rollup counts whole minutes; the raw count uses the exact bounds.
    assert.ok(Math.abs(counts.get('checkout')! - expected) <= expected * 0.01 + 5, `rollup ${counts.get('checkout')} ≈ raw ${expected}`);
    assert.notEqual(counts.get('checkout'), counts.get('search'));
  });

  test('the trace data link of "Slowest invocations" runs against a real trace', async () => {
    const d = dashboards.find((x) => x.uid === 'isotel-function-detail')!;
    const slow = allPanels(d).find((p) => p.title === 'Slowest invocations')!;
    const vars = await resolveVariables(runner, d, range, { function: 'checkout' });
    const { frames } = await runPanel(runner, slow, { range, variables: variableValues(vars).values });
    const traceId = String(frames[0]!.fields.find((f) => f.name === 'trace_id')!.values[0]);
    assert.match(traceId, /^[0-9a-f]{32}$/);
    const overrides = slow.fieldConfig?.overrides as { properties: { id: string; value: { internal: { query: { rawSql: string } } }[] }[] }[];
    const linkSql = overrides.flatMap((o) => o.properties).find((p) => p.id === 'links')!.value[0]!.internal.query.rawSql;
    const r = await loaded.query(linkSql.replace('${__value.raw}', traceId));
    assert.ok(r.data.length >= 1);
    for (const col of ['traceID', 'spanID', 'parentSpanID', 'serviceName', 'operationName', 'startTime', 'duration', 'tags', 'serviceTags', 'statusCode']) assert.ok(r.meta.some((m) => m.name === col), `trace link returns ${col}`);
  });

  test('a range with no telemetry: every panel runs and returns nothing to draw', async () => {
    const empty = { from: Date.UTC(2001, 0, 1), to: Date.UTC(2001, 0, 2) };
    for (const d of dashboards) {
      const vars = await resolveVariables(runner, d, empty, {});
      const { values, options } = variableValues(vars);
      for (const p of allPanels(d)) {
        const { frames } = await runPanel(runner, p, { range: empty, variables: values }, options);
        for (const f of frames) {
          assert.equal(f.error, undefined, `${d.uid} "${p.title}": ${f.error?.message}`);
          const numbers = f.fields.filter((x) => x.type === 'number').flatMap((x) => x.values);
          // Empty, or a single aggregate row of zero / NaN / null — the viewer shows "No data".
          assert.ok(f.rows === 0 || numbers.every((v) => v === null || v === 0 || Number.isNaN(v as number)), `${d.uid} "${p.title}" returned data for an empty range: ${JSON.stringify(numbers).slice(0, 200)}`);
        }
      }
    }
  });

  test('a wrong column or table is reported by the panel, not thrown', async () => {
    const panel: Panel = { id: 1, type: 'stat', title: 'broken', gridPos: { x: 0, y: 0, w: 4, h: 4 }, targets: [{ refId: 'A', rawSql: 'SELECT sum(NoSuchColumn) AS v FROM isotel_fn_minute WHERE $__timeFilter(Minute)' }] };
    const { frames } = await runPanel(runner, panel, { range, variables: {} });
    assert.ok(frames[0]!.error, 'error reported');
    assert.match(frames[0]!.error!.message, /NoSuchColumn/);
    const bad: Panel = { ...panel, targets: [{ refId: 'A', rawSql: 'SELECT 1 WHERE $__timeFilter(' }] };
    const r2 = await runPanel(runner, bad, { range, variables: {} });
    assert.equal(r2.frames[0]!.error?.code, 'ISOTEL_ERR_DASHBOARD_MACRO');
    assert.throws(() => expandQuery('SELECT $nosuch', { range, intervalMs: 60_000, variables: {} }), /unexpanded|nosuch/i);
  });
});
