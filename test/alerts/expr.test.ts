/** The server-side-expression subset and the annotation templates the evaluator implements. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evalMath, evalThreshold, parseMath, tableToNumbers, type NumberSet } from '../../collector/alerts/expr.js';
import { expandMacros, fingerprint } from '../../collector/alerts/evaluator.js';
import { parseDuration } from '../../collector/alerts/rules.js';
import { renderTemplate } from '../../collector/alerts/template.js';

const set = (...xs: [Record<string, string>, number][]): NumberSet => xs.map(([labels, value]) => ({ labels, value }));

test('math: precedence, label joins, scalars, NaN', () => {
  const vars = new Map([
    ['A', set([{ f: 'a' }, 1.5], [{ f: 'b' }, 1.1], [{ f: 'c' }, NaN])],
    ['B', set([{ f: 'a' }, 0.001], [{ f: 'b' }, 0.001], [{ f: 'c' }, 0.001])],
    ['T', set([{}, 2])],
  ]);
  assert.deepEqual(evalMath(parseMath('$A > 1.2 && $B < 0.01'), vars).map((m) => [m.labels.f, m.value]), [['a', 1], ['b', 0], ['c', 0]]);
  assert.deepEqual(evalMath(parseMath('1 + 2 * 3 ** 2 - -1'), vars)[0]!.value, 20);
  assert.deepEqual(evalMath(parseMath('(1 + 2) * 3'), vars)[0]!.value, 9);
  assert.deepEqual(evalMath(parseMath('${A} * $T'), vars).map((m) => m.value).slice(0, 2), [3, 2.2], 'a label-less set joins every member');
  assert.equal(evalMath(parseMath('!(0) || 0'), vars)[0]!.value, 1);
  assert.equal(evalMath(parseMath('abs(-2) >= 2'), vars)[0]!.value, 1);
  assert.throws(() => parseMath('$A >'), /unexpected end/);
  assert.throws(() => parseMath('$A ? 1'), /unexpected "\?" at 3/);
  assert.throws(() => parseMath('nosuch($A)'), /unknown function nosuch/);
});

test('threshold evaluators', () => {
  const s = set([{ x: '1' }, 5], [{ x: '2' }, 10]);
  assert.deepEqual(evalThreshold(s, { type: 'gt', params: [5] }).map((m) => m.value), [0, 1]);
  assert.deepEqual(evalThreshold(s, { type: 'lt', params: [6] }).map((m) => m.value), [1, 0]);
  assert.deepEqual(evalThreshold(s, { type: 'within_range', params: [4, 6] }).map((m) => m.value), [1, 0]);
  assert.deepEqual(evalThreshold(s, { type: 'outside_range_included', params: [5, 9] }).map((m) => m.value), [1, 1]);
});

test('tables become labelled numbers: one numeric column, unique labels', () => {
  const meta = [{ name: 'function', type: 'String' }, { name: 'v', type: 'Float64' }];
  assert.deepEqual(tableToNumbers(meta, [{ function: 'a', v: 1 }, { function: 'b', v: null }]).map((m) => [m.labels.function, m.value]), [['a', 1], ['b', NaN]]);
  assert.deepEqual(tableToNumbers([{ name: 'n', type: 'UInt64' }], [{ n: '4294967296' }])[0]!.value, 4294967296, 'UInt64 arrives as a string');
  assert.throws(() => tableToNumbers([...meta, { name: 'w', type: 'UInt8' }], []), /exactly one numeric column.*got 2/);
  assert.throws(() => tableToNumbers(meta, [{ function: 'a', v: 1 }, { function: 'a', v: 2 }]), /same labels/);
});

test('macros, durations, fingerprints, templates', () => {
  const now = Date.UTC(2026, 0, 1, 0, 0, 0);
  const s = now / 1000;
  assert.equal(expandMacros('WHERE $__timeFilter(Timestamp) AND x < $__toTime', 3600, 0, now), `WHERE Timestamp >= toDateTime(${s - 3600}) AND Timestamp <= toDateTime(${s}) AND x < toDateTime(${s})`);
  assert.throws(() => expandMacros('SELECT $__interval_s', 60, 0, now), /macro \$__interval_s is not supported/);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('0s'), 0);
  assert.equal(parseDuration('1 minute'), undefined);
  assert.equal(fingerprint({ a: '1', b: '2' }), fingerprint({ b: '2', a: '1' }));
  assert.notEqual(fingerprint({ a: '1', b: '2' }), fingerprint({ a: '12' }));
  const d = { labels: { function: 'f', 'k.x': 'y' }, values: { A: 1.23456, B: 0.000123, R: 0.256 } };
  assert.equal(renderTemplate('{{ $labels.function }} ×{{ printf "%.2f" $values.A.Value }} p={{ printf "%.2g" $values.B.Value }}', d), 'f ×1.23 p=0.00012');
  assert.equal(renderTemplate('{{ humanizePercentage $values.R.Value }} {{ index $labels "k.x" }} {{ $values.A }}', d), '25.6% y 1.23456');
  assert.equal(renderTemplate('{{ if $x }}', d), '<unsupported: if $x>');
});
