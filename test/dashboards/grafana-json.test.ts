/**
 * The dashboard files as Grafana imports them: the dashboard model's required fields,
 * the ClickHouse data source referenced only through the `datasource` variable, panel
 * types Grafana ships, targets in the plugin's shape, and a grid without overlaps.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DASHBOARD_DIR, loadDashboards } from '../../dashboards/viewer/dashboards.js';

const GRAFANA_PANELS = new Set(['row', 'timeseries', 'stat', 'table', 'barchart', 'logs']);
const DS = { type: 'grafana-clickhouse-datasource', uid: '${datasource}' };

for (const d of loadDashboards()) {
  test(`${d.file}: valid Grafana dashboard model`, () => {
    const raw = JSON.parse(readFileSync(join(DASHBOARD_DIR, d.file), 'utf8')) as Record<string, any>;
    assert.equal(raw.id, null, 'id null: Grafana assigns one on import');
    assert.equal(typeof raw.schemaVersion, 'number');
    assert.ok(raw.schemaVersion >= 36);
    for (const k of ['uid', 'title', 'time', 'templating', 'panels', 'annotations', 'tags']) assert.ok(k in raw, `has ${k}`);
    const dsVar = raw.templating.list.find((v: any) => v.type === 'datasource');
    assert.deepEqual({ name: dsVar.name, query: dsVar.query }, { name: 'datasource', query: 'grafana-clickhouse-datasource' });

    const cells = new Map<string, string>();
    const ids = new Set<number>();
    const rowsOf = (list: any[]): any[] => list.flatMap((p) => (p.type === 'row' ? [p, ...(p.panels ?? [])] : [p]));
    for (const p of rowsOf(raw.panels)) {
      const where = `${d.file} panel ${p.id} "${p.title}"`;
      assert.ok(GRAFANA_PANELS.has(p.type), `${where}: type ${p.type}`);
      assert.ok(!ids.has(p.id), `${where}: duplicate id`);
      ids.add(p.id);
      const { x, y, w, h } = p.gridPos;
      assert.ok(x >= 0 && w >= 1 && x + w <= 24 && h >= 1, `${where}: gridPos inside 24 columns`);
      for (let cx = x; cx < x + w; cx++)
        for (let cy = y; cy < y + h; cy++) {
          const other = cells.get(`${cx},${cy}`);
          assert.equal(other, undefined, `${where} overlaps ${other}`);
          cells.set(`${cx},${cy}`, where);
        }
      if (p.type === 'row') continue;
      assert.deepEqual(p.datasource, DS, `${where}: data source through the variable`);
      assert.ok(Array.isArray(p.targets) && p.targets.length > 0, `${where}: targets`);
      for (const t of p.targets) {
        assert.deepEqual(t.datasource, DS, `${where} ${t.refId}`);
        assert.equal(t.editorType, 'sql');
        assert.ok([0, 1, 2].includes(t.format), `${where}: format 0 (time series), 1 (table) or 2 (logs)`);
        assert.equal(t.format === 0, p.type === 'timeseries', `${where}: time series panels use format 0`);
        assert.match(t.refId, /^[A-Z]$/);
        assert.ok(!/\b(INSERT|ALTER|DROP|TRUNCATE|CREATE)\b/i.test(t.rawSql), `${where}: read-only SQL`);
        assert.ok(!/\$__timeFilter\(Timestamp\)/.test(t.rawSql) || /FROM otel_(traces|logs)/.test(t.rawSql), `${where}: time column matches its table`);
      }
      if (p.type === 'barchart') assert.ok(typeof p.options?.xField === 'string', `${where}: barchart xField`);
    }
    for (const v of raw.templating.list.filter((x: any) => x.type === 'query')) {
      assert.deepEqual(v.datasource, DS, `variable ${v.name}`);
      assert.equal(typeof v.query.rawSql, 'string');
      assert.equal(v.refresh, 2, `variable ${v.name} refreshes on time range change`);
    }
  });
}
