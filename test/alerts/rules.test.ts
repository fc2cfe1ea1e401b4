/**
 * The rule files in dashboards/alerts/: Grafana provisioning shape (what Grafana's
 * loader requires), no drift from collector/alerts/rulefiles.ts, telemetry names from
 * sdk/protocol/names.ts, and every query runs on the real engine returning what a
 * Grafana alert query must (string labels + exactly one number). Bad files are
 * refused with the file, rule and field named.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { expandMacros } from '../../collector/alerts/evaluator.js';
import { tableToNumbers } from '../../collector/alerts/expr.js';
import { DATASOURCE_UID, RULE_FILE, RULES_DIR, ruleFileText } from '../../collector/alerts/rulefiles.js';
import { loadRules, parseRuleFile, parseDuration } from '../../collector/alerts/rules.js';
import { IsotelError } from '../../common/errors.js';
import { ATTR, RESOURCE, SPAN } from '../../sdk/protocol/names.js';
import { openTestClickHouse, type TestClickHouse } from './helpers/clickhouse.js';
import { generateColdStartsSql } from './helpers/telemetry.js';

type Obj = Record<string, any>;
let ch: TestClickHouse;

before(async () => {
  ch = await openTestClickHouse();
  await ch.engine.command(generateColdStartsSql({ prefix: 'fn-', seeds: 2, perVersion: 120, salt: 9, regression: { phase: 'evaluate', factor: 2 } }));
  await ch.engine.command(`INSERT INTO isotel_fn_minute (Minute, ServiceName, Version, Invocations, ColdStarts)
    SELECT toStartOfMinute(now()) - toIntervalMinute(number), 'fn-0', 'v2', 100, if(number < 14, 40, 5) FROM numbers(300)`);
});
after(async () => ch?.close());

test('the rule files are what rulefiles.ts writes (regenerate with `node dist/collector/alerts/rulefiles.js --write`)', () => {
  assert.equal(readFileSync(join(RULES_DIR, RULE_FILE), 'utf8'), ruleFileText());
});

test('every file has the shape Grafana alerting file provisioning requires', () => {
  const files = readdirSync(RULES_DIR).filter((f) => /\.ya?ml$/.test(f));
  assert.ok(files.length > 0);
  for (const f of files) {
    const doc = parse(readFileSync(join(RULES_DIR, f), 'utf8')) as Obj;
    assert.equal(doc.apiVersion, 1, f);
    assert.ok(Array.isArray(doc.groups) && doc.groups.length > 0);
    for (const g of doc.groups as Obj[]) {
      for (const k of ['orgId', 'name', 'folder', 'interval']) assert.ok(g[k] !== undefined && g[k] !== '', `${f}: group.${k}`);
      assert.ok(parseDuration(g.interval) !== undefined);
      for (const r of g.rules as Obj[]) {
        for (const k of ['uid', 'title', 'condition', 'data']) assert.ok(r[k], `${f} ${r.uid}: ${k}`);
        assert.match(r.uid, /^[a-zA-Z0-9-_]{1,40}$/, 'Grafana uids are at most 40 characters of letters, digits, - and _');
        assert.ok(['NoData', 'Alerting', 'OK', 'KeepLast'].includes(r.noDataState));
        assert.ok(['Alerting', 'Error', 'OK', 'KeepLast'].includes(r.execErrState));
        assert.ok(parseDuration(r.for) !== undefined);
        const refs = (r.data as Obj[]).map((d) => d.refId);
        assert.ok(refs.includes(r.condition), `${r.uid}: condition ${r.condition} in ${refs}`);
        for (const d of r.data as Obj[]) {
          assert.equal(d.model.refId, d.refId);
          if (d.datasourceUid === '__expr__') {
            assert.ok(['math', 'threshold', 'reduce'].includes(d.model.type));
            continue;
          }
          assert.equal(d.datasourceUid, DATASOURCE_UID);
          assert.equal(d.model.datasource.uid, DATASOURCE_UID);
          assert.equal(d.model.datasource.type, 'grafana-clickhouse-datasource');
          assert.equal(d.model.format, 1, 'table format: Grafana alerts on numeric tables');
          assert.equal(d.model.editorType, 'sql');
          assert.ok(d.relativeTimeRange.from > d.relativeTimeRange.to);
          assert.ok(typeof d.model.rawSql === 'string' && d.model.rawSql.includes('$__timeFilter('), 'queries honour the rule time range');
        }
      }
    }
  }
});

test('the SQL uses the shared telemetry names', () => {
  const text = readFileSync(join(RULES_DIR, RULE_FILE), 'utf8');
  for (const name of [SPAN.coldStart, RESOURCE.faasVersion, ATTR.coldStartPhase]) assert.ok(text.includes(`'${name}`), name);
  // Nothing that looks like a telemetry name but is not one of ours.
  const used = new Set([...text.matchAll(/'((?:faas|isotel)\.[a-z_.]+)'/g)].map((m) => m[1]!));
  const known = new Set<string>([...Object.values(SPAN), ...Object.values(ATTR), ...Object.values(RESOURCE)]);
  for (const n of used) assert.ok(known.has(n) || n === `${SPAN.coldStart}.`, `unknown name ${n}`);
});

test('every rule query runs on the embedded engine and returns labels plus one number', async () => {
  const rules = loadRules(RULES_DIR);
  assert.deepEqual(rules.map((r) => r.uid), ['isotel-coldstart-regression', 'isotel-coldstart-drift', 'isotel-coldstart-rate']);
  for (const rule of rules) {
    for (const step of rule.data) {
      if (step.kind !== 'query') continue;
      const sql = expandMacros(step.rawSql, step.fromS, step.toS, Date.now());
      const r = await ch.engine.readQuery(sql, { timeoutMs: 60_000, maxRows: 10_000, compact: false, wrap: true });
      const set = tableToNumbers(r.meta, r.data as Record<string, unknown>[]);
      if (rule.uid !== 'isotel-coldstart-drift') assert.ok(set.length >= 1, `${rule.uid} ${step.refId} returned rows`);
      assert.ok(set.every((m) => Number.isFinite(m.value)), `${rule.uid} ${step.refId}: ${JSON.stringify(set)}`);
      if (set.length > 0 && rule.uid !== 'isotel-coldstart-rate') assert.deepEqual(Object.keys(set[0]!.labels), ['function', 'baseline', 'candidate', 'phase']);
    }
  }
});

test('bad rule files are refused, naming the file, rule and field', () => {
  const bad = (text: string, re: RegExp) =>
    assert.throws(() => parseRuleFile(text, 'x.yaml'), (e: unknown) => e instanceof IsotelError && e.code === 'ISOTEL_ERR_ALERT_RULE_INVALID' && re.test(e.message));
  bad('apiVersion: 2\ngroups: []', /x\.yaml: apiVersion must be 1/);
  bad('apiVersion: 1\ngroups: [{name: g, folder: f, rules: [{uid: r1, title: t, condition: C, data: []}]}]', /group "g" rule "r1": "data" must be a non-empty list/);
  bad('apiVersion: 1\ngroups: [{name: g, folder: f, interval: 1 minute, rules: []}]', /"interval" must be a duration/);
  bad('apiVersion: 1\ngroups: [{name: g, folder: f, rules: [{uid: r1, title: t, condition: Z, data: [{refId: A, datasourceUid: x, model: {rawSql: "SELECT 1", format: 1}}]}]}]', /condition Z is not one of the refIds A/);
  bad('apiVersion: 1\ngroups: [{name: g, folder: f, rules: [{uid: r1, title: t, condition: C, data: [{refId: C, datasourceUid: __expr__, model: {type: math, expression: "$A > "}}]}]}]', /data C: math expression/);
  bad('apiVersion: 1\ngroups: [{name: g, folder: f, rules: [{uid: r1, title: t, condition: C, data: [{refId: C, datasourceUid: __expr__, model: {type: classic_conditions}}]}]}]', /not supported by the built-in evaluator/);
  bad('apiVersion: 1\ngroups: [{name: g, folder: f, rules: [{uid: r1, title: t, condition: C, data: [{refId: C, datasourceUid: __expr__, model: {type: math, expression: "$A > 1"}}]}]}]', /refers to \$A, which is not defined/);
  bad(': : :', /not valid YAML/);
  bad('apiVersion: 1\ngroups: [{name: g, folder: f, rules: [{uid: r1, title: t, condition: A, noDataState: Alerting, data: [{refId: A, datasourceUid: x, model: {rawSql: "SELECT 1", format: 1}}]}]}]', /rule "r1": "noDataState" must be one of NoData, OK/);
});
