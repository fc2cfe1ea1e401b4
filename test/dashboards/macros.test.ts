/** The Grafana macro expander against the ClickHouse data source's documented expansions (pkg/macros/macros.go, src/data/CHDatasource.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALL, applyConditionalAll, expandMacros, expandQuery, interpolateVariables, MacroError, panelInterval, parseArgs, parseTime, roundInterval } from '../../dashboards/viewer/macros.js';

const range = { from: Date.UTC(2026, 10, 26, 6, 0, 0), to: Date.UTC(2026, 10, 26, 12, 0, 0) };
const F = range.from / 1000;
const T = range.to / 1000;

test('time macros expand like the plugin backend', () => {
  assert.equal(expandMacros('WHERE $__timeFilter(Timestamp)', range, 60_000), `WHERE Timestamp >= toDateTime(${F}) AND Timestamp <= toDateTime(${T})`);
  assert.equal(expandMacros('$__timeFilter_ms(t)', range, 1000), `t >= fromUnixTimestamp64Milli(${range.from}) AND t <= fromUnixTimestamp64Milli(${range.to})`);
  assert.equal(expandMacros('$__timeInterval(Minute)', range, 120_000), 'toStartOfInterval(toDateTime(Minute), INTERVAL 120 second)');
  assert.equal(expandMacros('$__timeInterval_ms(t)', range, 500), 'toStartOfInterval(toDateTime64(t, 3), INTERVAL 500 millisecond)');
  assert.equal(expandMacros("$__timeGroup(t, '5m')", range, 1000), 'toStartOfInterval(toDateTime(t), INTERVAL 300 second)');
  assert.equal(expandMacros('$__fromTime, $__toTime, $__interval_s', range, 30_000), `toDateTime(${F}), toDateTime(${T}), 30`);
  assert.equal(expandMacros('$__fromTime_ms $__toTime_ms', range, 1), `fromUnixTimestamp64Milli(${range.from}) fromUnixTimestamp64Milli(${range.to})`);
  assert.equal(expandMacros('$__dateFilter(d)', range, 1), "d >= toDate('2026-11-26') AND d <= toDate('2026-11-26')");
  assert.equal(expandMacros('$__timeFrom(t) AND $__timeTo(t)', range, 1), `t >= toDateTime(${F}) AND t <= toDateTime(${T})`);
});

test('nested and quoted arguments are parsed, not split on inner commas', () => {
  assert.deepEqual(parseArgs("f(a, g(b, c), 'x, y', \"q)\")", 1).args, ['a', 'g(b, c)', "'x, y'", '"q)"']);
  assert.equal(expandMacros('$__timeInterval(toDateTime(Timestamp, \'UTC\'))', range, 60_000), "toStartOfInterval(toDateTime(toDateTime(Timestamp, 'UTC')), INTERVAL 60 second)");
  assert.throws(() => expandMacros('$__timeFilter(Timestamp', range, 1000), MacroError);
  assert.throws(() => expandMacros('$__timeFilter()', range, 1000), /needs a column/);
});

test('$__conditionalAll: condition kept for a selection, 1=1 for All or empty', () => {
  const sql = 'WHERE $__conditionalAll(ServiceName IN (${function}), $function)';
  assert.equal(applyConditionalAll(sql, { function: ['a', 'b'] }), 'WHERE ServiceName IN (${function})');
  assert.equal(applyConditionalAll(sql, { function: [ALL] }), 'WHERE 1=1');
  assert.equal(applyConditionalAll(sql, { function: [] }), 'WHERE 1=1');
  assert.throws(() => applyConditionalAll(sql, {}), /unknown variable/);
});

test('variables: multi-values quoted and joined, single values raw, formats', () => {
  assert.equal(interpolateVariables("x IN (${f}) AND y = '$g' AND [[g]]", { f: ['a', "o'k"], g: 'v1' }), "x IN ('a','o\\'k') AND y = 'v1' AND v1");
  assert.equal(interpolateVariables('${f:csv} ${f:singlequote} ${f:pipe}', { f: ['a', 'b'] }), "a,b 'a','b' a|b");
  assert.equal(interpolateVariables('IN (${f})', { f: [ALL] }, { f: ['x', 'y'] }), "IN ('x','y')");
  assert.throws(() => interpolateVariables('${f:nope}', { f: 'a' }), /unsupported format/);
  assert.equal(interpolateVariables('$__timeFilter(t) $unknown', { f: 'a' }), '$__timeFilter(t) $unknown');
});

test('expandQuery refuses to send anything unexpanded', () => {
  const ctx = { range, intervalMs: 60_000, variables: { fn: 'checkout' } };
  assert.equal(expandQuery("SELECT 1 WHERE s = '${fn}' AND $__timeFilter(t)", ctx), `SELECT 1 WHERE s = 'checkout' AND t >= toDateTime(${F}) AND t <= toDateTime(${T})`);
  assert.throws(() => expandQuery('SELECT $__nosuch', ctx), /unexpanded \$__nosuch/);
  assert.throws(() => expandQuery('SELECT ${other}', ctx), /unexpanded/);
});

test('intervals: Grafana rounding and the panel minimum', () => {
  assert.equal(roundInterval(36_000), 30_000);
  assert.equal(roundInterval(86_400), 60_000);
  assert.equal(roundInterval(150_000), 120_000);
  assert.equal(panelInterval(range, 600, '1m'), 60_000);
  assert.equal(panelInterval({ from: 0, to: 24 * 3_600_000 }, 700, '1m'), 120_000);
  assert.equal(panelInterval({ from: 0, to: 300_000 }, 1000), 1000);
});

test('relative times', () => {
  const now = Date.UTC(2026, 10, 26, 12, 34, 56);
  assert.equal(parseTime('now', now), now);
  assert.equal(parseTime('now-6h', now), now - 6 * 3_600_000);
  assert.equal(parseTime('now-1d/d', now), Date.UTC(2026, 10, 25));
  assert.equal(parseTime('now/d', now, true), Date.UTC(2026, 10, 27) - 1);
  assert.equal(parseTime('1700000000000', now), 1_700_000_000_000);
  assert.throws(() => parseTime('yesterday', now), /not a time/);
});
