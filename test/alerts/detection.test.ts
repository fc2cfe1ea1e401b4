/**
 * Detection on generated telemetry in the real embedded ClickHouse: the regression
 * query (collector/alerts/sql.ts, the same SQL the rule files carry) over 200 seeds
 * at once (one function per seed). Figures are printed as test diagnostics.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEFAULTS } from '../../collector/alerts/rulefiles.js';
import { coldRateSql, regressionSql, type RegressionRow } from '../../collector/alerts/sql.js';
import { openTestClickHouse, type TestClickHouse } from './helpers/clickhouse.js';
import { generateColdStartsSql } from './helpers/telemetry.js';
import type { ColdStartPhase } from '../../sdk/protocol/names.js';

let ch: TestClickHouse;
const N = DEFAULTS.minSamples; // the default sample size: the fewest cold starts per side the rule compares
const SEEDS = 200;
const regression = (fn?: string, extra: Partial<Parameters<typeof regressionSql>[0]> = {}) =>
  regressionSql({ timeFilter: 'Timestamp >= now() - INTERVAL 1 DAY', minSamples: DEFAULTS.minSamples, maxSamples: DEFAULTS.maxSamples, threshold: DEFAULTS.threshold, alpha: DEFAULTS.alpha, fn, ...extra });
const rowsOf = async (prefix: string) => (await ch.rows<RegressionRow>(regression())).filter((r) => r.function.startsWith(prefix));

/** Factor on one phase that makes the median cold start 30% slower (measured on the no-regression data). */
let factorFor: (phase: ColdStartPhase) => number;

before(async () => {
  ch = await openTestClickHouse();
  await ch.engine.command(generateColdStartsSql({ prefix: 'null-', seeds: SEEDS, perVersion: N, salt: 1 }));
  const [m] = await ch.rows<Record<string, number>>(
    `SELECT quantileExactIf(0.5)(Duration, SpanName = 'isotel.coldstart') AS total,
            quantileExactIf(0.5)(Duration, SpanName = 'isotel.coldstart.compile') AS compile,
            quantileExactIf(0.5)(Duration, SpanName = 'isotel.coldstart.evaluate') AS evaluate,
            quantileExactIf(0.5)(Duration, SpanName = 'isotel.coldstart.dispatch') AS dispatch,
            quantileExactIf(0.5)(Duration, SpanName = 'isotel.coldstart.acquire') AS acquire
     FROM otel_traces WHERE startsWith(ServiceName, 'null-')`,
  );
  factorFor = (phase) => 1 + (0.3 * Number(m!.total)) / Number(m![phase]);
  await ch.engine.command(generateColdStartsSql({ prefix: 'reg-', seeds: SEEDS, perVersion: N, salt: 2, regression: { phase: 'evaluate', factor: factorFor('evaluate') } }));
});

after(async () => {
  await ch?.close();
});

test(`no regression: false-positive rate ≤ 1% across ${SEEDS} seeds (${N} cold starts per version)`, async (t) => {
  const rows = await rowsOf('null-');
  assert.equal(rows.length, SEEDS, 'every seed has enough samples to be compared');
  const fired = rows.filter((r) => r.regressed === 1).length;
  const significant = rows.filter((r) => r.p_value < DEFAULTS.alpha).length;
  t.diagnostic(`false positives ${fired}/${SEEDS} = ${((100 * fired) / SEEDS).toFixed(1)}% (U test alone significant in ${significant}/${SEEDS})`);
  assert.ok(fired <= SEEDS * 0.01, `${fired} false positives`);
  // The one-sided U test keeps its level on this heavy-tailed data (binomial 99.9% bound for α = 1%).
  assert.ok(significant <= 8, `U test significant in ${significant}/${SEEDS}`);
});

test(`+30% regression in the evaluate phase: caught in ≥ 95% of ${SEEDS} seeds, phase named`, async (t) => {
  const rows = await rowsOf('reg-');
  assert.equal(rows.length, SEEDS);
  const fired = rows.filter((r) => r.regressed === 1);
  const ratios = rows.map((r) => r.median_ratio).sort((a, b) => a - b);
  const medianRatio = ratios[ratios.length >> 1]!;
  t.diagnostic(`detected ${fired.length}/${SEEDS} = ${((100 * fired.length) / SEEDS).toFixed(1)}%; median of the median ratios ${medianRatio.toFixed(3)}`);
  assert.ok(medianRatio > 1.25 && medianRatio < 1.35, `the injected regression is +30% at the median (got ×${medianRatio})`);
  assert.ok(fired.length >= SEEDS * 0.95, `${fired.length} detected`);
  assert.ok(fired.every((r) => r.phase === 'evaluate'), 'the phase that moved most is evaluate');
  const r = fired[0]!;
  assert.equal(r.baseline, 'v1');
  assert.equal(r.candidate, 'v2');
  assert.equal(r.n_baseline, N);
  assert.equal(r.n_candidate, N);
  assert.ok(r.hl_shift_ms > 0 && r.hl_ratio > 1.1 && r.phase_shift_ms > 0 && r.phase_ratio > 1);
});

test('a regression injected into one phase names that phase', async () => {
  for (const phase of ['compile', 'dispatch', 'acquire'] as const) {
    await ch.engine.command(generateColdStartsSql({ prefix: `phase-${phase}-`, seeds: 5, perVersion: N, salt: 3, regression: { phase, factor: factorFor(phase) } }));
    const rows = await rowsOf(`phase-${phase}-`);
    const fired = rows.filter((r) => r.regressed === 1);
    assert.ok(fired.length >= 4, `${phase}: ${fired.length}/5 fired`);
    for (const r of rows) assert.equal(r.phase, phase, `${r.function}: moved most ${r.phase}`);
  }
});

test('explicit versions, the newest-seen default, and the minimum sample size', async () => {
  await ch.engine.command(generateColdStartsSql({ prefix: 'pick-', seeds: 1, perVersion: N, salt: 4, versions: ['2026-01', '2026-02'], regression: { phase: 'evaluate', factor: factorFor('evaluate') * 1.5 } }));
  const [auto] = await ch.rows<RegressionRow>(regression('pick-0'));
  assert.equal(auto?.candidate, '2026-02');
  assert.equal(auto?.regressed, 1);
  // Swapped: the faster version as candidate is no regression.
  const [swapped] = await ch.rows<RegressionRow>(regression('pick-0', { baseline: '2026-02', candidate: '2026-01' }));
  assert.equal(swapped?.candidate, '2026-01');
  assert.equal(swapped?.regressed, 0);
  assert.ok(swapped!.p_value > 0.5);
  // One sample short on each side: no comparison at all (no data, no alert).
  assert.deepEqual(await ch.rows(regression('pick-0', { minSamples: N + 1, maxSamples: N + 1 })), []);
  // A version that does not exist: no row.
  assert.deepEqual(await ch.rows(regression('pick-0', { baseline: 'nope' })), []);
  // Only the newest maxSamples per side are compared.
  const [capped] = await ch.rows<RegressionRow>(regression('pick-0', { minSamples: 10, maxSamples: 20 }));
  assert.equal(capped?.n_baseline, 20);
});

test('ties: durations at whole-millisecond resolution still compare, all-equal durations never fire', async () => {
  await ch.engine.command(`INSERT INTO otel_traces (Timestamp, TraceId, SpanId, SpanName, ServiceName, ResourceAttributes, Duration)
    SELECT now64(9) - toIntervalSecond(300 - number), lower(hex(cityHash64('tie', number))), lower(hex(cityHash64('tie-s', number))), 'isotel.coldstart', fn,
           map('faas.version', if(number % 2 = 0, 'a', 'b')), dur
    FROM (SELECT number, arrayJoin(['ties-slow', 'ties-flat']) AS fn,
                 if(fn = 'ties-flat', 10, if(number % 2 = 0, 10 + number % 3, 14 + number % 3)) * 1000000 AS dur
          FROM numbers(${2 * N}))`);
  const rows = await ch.rows<RegressionRow>(regression(undefined, {}));
  const slow = rows.find((r) => r.function === 'ties-slow');
  const flat = rows.find((r) => r.function === 'ties-flat');
  assert.equal(slow?.regressed, 1, JSON.stringify(slow));
  assert.ok(slow!.p_value < 1e-6);
  assert.equal(flat?.regressed, 0, JSON.stringify(flat));
  assert.equal(flat?.median_ratio, 1);
});

test('cold-start rate: a rise from 5% to 25% is significant, an unchanged share is not', async () => {
  // Per-minute rollup rows: 6 h of baseline, then the recent 15 minutes.
  await ch.engine.command(`INSERT INTO isotel_fn_minute (Minute, ServiceName, Version, Invocations, ColdStarts)
    SELECT toStartOfMinute(now()) - toIntervalMinute(m), fn, 'v1', 100, if(fn = 'rate-up' AND m < 14, 25, 5)
    FROM (SELECT number AS m, arrayJoin(['rate-up', 'rate-flat']) AS fn FROM numbers(360))`);
  const sql = coldRateSql({ timeFilter: 'Minute >= now() - INTERVAL 7 HOUR', now: 'now()', windowS: DEFAULTS.rateWindowS, minInvocations: DEFAULTS.rateMinInvocations });
  const rows = await ch.rows<Record<string, number | string>>(sql);
  const up = rows.find((r) => r.function === 'rate-up')!;
  const flat = rows.find((r) => r.function === 'rate-flat')!;
  assert.ok(Number(up.cold_rate_candidate) > 0.2 && Number(up.cold_rate_baseline) < 0.06, JSON.stringify(up));
  assert.ok(Number(up.p_value) < 1e-6 && Number(up.rate_ratio) > 3);
  assert.ok(Number(flat.p_value) > 0.1 && Math.abs(Number(flat.rate_rise)) < 1e-9, JSON.stringify(flat));
});

test('window mode: the same version got slower in the last hour (no deploy) fires; a steady one does not', async () => {
  const drift = (fn: string) => regressionSql({ timeFilter: 'Timestamp >= now() - INTERVAL 25 HOUR', minSamples: N, maxSamples: DEFAULTS.maxSamples, fn, threshold: DEFAULTS.threshold, alpha: DEFAULTS.alpha, window: { now: 'now()', windowS: DEFAULTS.driftWindowS } });
  await ch.engine.command(generateColdStartsSql({ prefix: 'drift-', seeds: 1, perVersion: N, salt: 13, versions: ['v7', 'v7'], startAgoS: 5 * 3600, candidateStartAgoS: 1800, regression: { phase: 'evaluate', factor: factorFor('evaluate') } }));
  await ch.engine.command(generateColdStartsSql({ prefix: 'steady-', seeds: 1, perVersion: N, salt: 14, versions: ['v7', 'v7'], startAgoS: 5 * 3600, candidateStartAgoS: 1800 }));
  const [d] = await ch.rows<RegressionRow>(drift('drift-0'));
  assert.equal(d?.regressed, 1, JSON.stringify(d));
  assert.deepEqual([d!.baseline, d!.candidate, d!.phase, d!.n_baseline, d!.n_candidate], ['v7', 'v7', 'evaluate', N, N]);
  const [s] = await ch.rows<RegressionRow>(drift('steady-0'));
  assert.equal(s?.regressed, 0, JSON.stringify(s));
  // The version comparison sees a single version: nothing to compare.
  assert.deepEqual(await ch.rows(regression('drift-0')), []);
});

test('hostile data in one function (no version, zero and huge durations) does not hide a neighbour\'s regression', async () => {
  await ch.engine.command(`INSERT INTO otel_traces (Timestamp, TraceId, SpanId, SpanName, ServiceName, ResourceAttributes, Duration)
    SELECT now64(9) - toIntervalSecond(number), lower(hex(cityHash64('bad', number))), lower(hex(cityHash64('bad-s', number))), 'isotel.coldstart', 'hostile-0',
           if(number % 3 = 0, map(), map('faas.version', if(number % 3 = 1, 'x', 'y'))), [0, 18446744073709551615, 1][number % 3 + 1]
    FROM numbers(${3 * N})`);
  await ch.engine.command(generateColdStartsSql({ prefix: 'neighbour-', seeds: 1, perVersion: N, salt: 15, regression: { phase: 'evaluate', factor: factorFor('evaluate') * 1.5 } }));
  const rows = await ch.rows<RegressionRow>(regression());
  assert.equal(rows.find((r) => r.function === 'neighbour-0')?.regressed, 1);
  const hostile = rows.find((r) => r.function === 'hostile-0');
  assert.ok(hostile === undefined || (hostile.baseline !== '' && hostile.candidate !== ''), 'spans without a version are not a version');
});
