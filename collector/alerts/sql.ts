/**
 * The cold-start alert queries, as SQL text over the exporter's tables. One builder
 * serves three readers: the rule files in dashboards/alerts/ (Grafana runs them as
 * they are; test/alerts/rules.test.ts checks the files still equal this output), the
 * built-in evaluator (which loads those files) and `isotel check coldstart` (which
 * asks for explicit versions).
 *
 * Statistics, and why (research/pipeline-facts.md §5):
 * - Samples are the `isotel.coldstart` spans (the whole cold start), the newest
 *   `maxSamples` per version, so an old, long-lived baseline does not drown a fresh
 *   candidate and the pairwise arrays below stay bounded.
 * - Mann–Whitney U, one-sided ('greater': candidate slower), because only a slowdown
 *   pages anyone; it is rank based, so heavy tails and the cache hit/miss bimodality
 *   do not break it, and ClickHouse applies the tie correction.
 * - The threshold is on the ratio of the two sample medians ("the median got 20%
 *   slower"); the Hodges–Lehmann estimates (median of all pairwise differences: in
 *   ms, and on log durations as a ratio) are reported beside it as the effect size
 *   that matches the U test.
 * - Both sides need `minSamples` cold starts: below that the normal approximation
 *   behind ClickHouse's p-value is poor and no row is returned (no data, no alert).
 * - The phase that moved most: per phase, the median of the candidate's phase spans
 *   minus the baseline's (children of the sampled cold starts), largest shift wins.
 */
import { ATTR, RESOURCE, SPAN } from '../../sdk/protocol/names.js';

export interface RegressionQueryOptions {
  /** A SQL condition on `Timestamp` bounding the scan: `$__timeFilter(Timestamp)` in rule files. */
  timeFilter: string;
  /** Minimum cold starts per side before a comparison is made. */
  minSamples: number;
  /** Newest cold starts per side that are compared. */
  maxSamples: number;
  /** Only this function (ServiceName). */
  fn?: string;
  /** Compare against this version instead of the most recently seen other one. */
  baseline?: string;
  /** Compare this version instead of the most recently seen one. */
  candidate?: string;
  /**
   * Window mode: compare the current version's cold starts of the last `windowS`
   * seconds before `now` (a SQL time expression: `$__toTime` in rule files) against
   * its earlier ones in the scan, instead of two versions. Catches a slowdown with no
   * deploy (a host change, a noisy neighbour). `baseline` is ignored.
   */
  window?: { now: string; windowS: number };
  /** Slowdown threshold and significance level, for the `regressed` column (rule files put them in a math expression instead). */
  threshold?: number;
  alpha?: number;
}

/** Label columns of the regression query (Grafana turns string columns into labels). */
export const REGRESSION_LABELS = ['function', 'baseline', 'candidate', 'phase'] as const;

/** Numeric columns of the regression query. */
export const REGRESSION_VALUES = [
  'n_baseline',
  'n_candidate',
  'median_baseline_ms',
  'median_candidate_ms',
  'median_ratio',
  'hl_ratio',
  'hl_shift_ms',
  'p_value',
  'phase_shift_ms',
  'phase_ratio',
] as const;
export type RegressionValue = (typeof REGRESSION_VALUES)[number];

export type RegressionRow = Record<(typeof REGRESSION_LABELS)[number], string> & Record<RegressionValue, number> & { regressed?: number };

/** A ClickHouse string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function positiveInt(name: string, n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${n}`);
  return n;
}

const phaseExpr = `if(SpanAttributes['${ATTR.coldStartPhase}'] != '', SpanAttributes['${ATTR.coldStartPhase}'], replaceOne(SpanName, '${SPAN.coldStart}.', ''))`;

/**
 * One row per function with both sides at `minSamples` or more: labels, then the
 * evidence columns. `select` narrows the output to the labels plus one value column
 * (what a Grafana alert query must return).
 */
export function regressionSql(o: RegressionQueryOptions, select?: RegressionValue): string {
  const min = positiveInt('minSamples', o.minSamples);
  const max = positiveInt('maxSamples', o.maxSamples);
  if (max < min) throw new RangeError(`maxSamples (${max}) is below minSamples (${min})`);
  const fnFilter = o.fn === undefined ? '' : `\n    AND ServiceName = ${sqlString(o.fn)}`;
  const candFilter = o.candidate === undefined ? '' : `\n  WHERE version = ${sqlString(o.candidate)}`;
  const baseFilter = o.baseline === undefined ? '' : ` AND v.version = ${sqlString(o.baseline)}`;
  const flag =
    o.threshold === undefined || o.alpha === undefined
      ? ''
      : `,\n  toUInt8(median_ratio > ${1 + o.threshold} AND p_value < ${o.alpha}) AS regressed`;
  const w = o.window;
  const pairCte =
    w === undefined
      ? `pair AS (
  SELECT v.function AS function, c.candidate AS candidate, argMax(v.version, (v.last_seen, v.version)) AS baseline
  FROM versions AS v INNER JOIN cand AS c ON v.function = c.function
  WHERE v.version != c.candidate${baseFilter}
  GROUP BY v.function, c.candidate
),
`
      : `pair AS (
  SELECT function, candidate, candidate AS baseline FROM cand
),
`;
  const isCand = w === undefined ? 'cs.version = p.candidate' : `cs.ts >= ${w.now} - toIntervalSecond(${positiveInt('windowS', w.windowS)})`;
  const full = `WITH
cs AS (
  SELECT ServiceName AS function, ResourceAttributes['${RESOURCE.faasVersion}'] AS version, Timestamp AS ts,
         TraceId AS trace, SpanId AS id, toFloat64(greatest(Duration, 1)) AS ns
  FROM otel_traces
  WHERE SpanName = '${SPAN.coldStart}' AND ${o.timeFilter}${fnFilter}
    AND ResourceAttributes['${RESOURCE.faasVersion}'] != ''
),
versions AS (
  SELECT function, version, max(ts) AS last_seen FROM cs GROUP BY function, version
),
cand AS (
  SELECT function, argMax(version, (last_seen, version)) AS candidate FROM versions${candFilter}
  GROUP BY function
),
${pairCte}picked AS (
  SELECT function, candidate, baseline, trace, id, ns, is_cand FROM (
    SELECT cs.function AS function, p.candidate AS candidate, p.baseline AS baseline, cs.trace AS trace, cs.id AS id, cs.ns AS ns,
           ${isCand} AS is_cand,
           row_number() OVER (PARTITION BY cs.function, is_cand ORDER BY cs.ts DESC, cs.id) AS rn
    FROM cs INNER JOIN pair AS p ON cs.function = p.function
    WHERE cs.version = p.candidate OR cs.version = p.baseline
  ) WHERE rn <= ${max}
),
enough AS (
  -- mannWhitneyUTest throws on an empty side, which would fail the query for every
  -- function: only functions with enough samples on both sides reach it.
  SELECT function FROM picked GROUP BY function HAVING countIf(NOT is_cand) >= ${min} AND countIf(is_cand) >= ${min}
),
sides AS (
  SELECT function, any(candidate) AS candidate, any(baseline) AS baseline,
         countIf(NOT is_cand) AS n_baseline, countIf(is_cand) AS n_candidate,
         quantileExactIf(0.5)(ns, NOT is_cand) AS med_b, quantileExactIf(0.5)(ns, is_cand) AS med_c,
         -- sample_index 0 is the first population: the candidate; 'greater' = candidate slower
         mannWhitneyUTest('greater')(ns, toUInt8(NOT is_cand)).2 AS p,
         groupArrayIf(ns, NOT is_cand) AS b, groupArrayIf(ns, is_cand) AS c
  FROM picked WHERE function IN (SELECT function FROM enough) GROUP BY function
),
phase_spans AS (
  SELECT ServiceName AS function, TraceId AS trace, ParentSpanId AS parent, ${phaseExpr} AS phase, toFloat64(Duration) AS ns
  FROM otel_traces
  WHERE startsWith(SpanName, '${SPAN.coldStart}.') AND ${o.timeFilter}${fnFilter}
),
phases AS (
  SELECT s.function AS function, s.phase AS phase,
         quantileExactIf(0.5)(s.ns, k.is_cand) - quantileExactIf(0.5)(s.ns, NOT k.is_cand) AS shift,
         quantileExactIf(0.5)(s.ns, k.is_cand) / greatest(quantileExactIf(0.5)(s.ns, NOT k.is_cand), 1) AS ratio
  FROM phase_spans AS s INNER JOIN picked AS k ON s.function = k.function AND s.trace = k.trace AND s.parent = k.id
  GROUP BY s.function, s.phase
),
moved AS (
  SELECT function, argMax(phase, shift) AS top_phase, max(shift) AS top_shift, argMax(ratio, shift) AS top_ratio FROM phases GROUP BY function
)
SELECT
  d.function AS function, d.baseline AS baseline, d.candidate AS candidate, m.top_phase AS phase,
  toFloat64(d.n_baseline) AS n_baseline, toFloat64(d.n_candidate) AS n_candidate,
  d.med_b / 1e6 AS median_baseline_ms, d.med_c / 1e6 AS median_candidate_ms,
  d.med_c / d.med_b AS median_ratio,
  exp(arrayReduce('quantileExact(0.5)', arrayFlatten(arrayMap(x -> arrayMap(y -> log(x) - log(y), d.b), d.c)))) AS hl_ratio,
  arrayReduce('quantileExact(0.5)', arrayFlatten(arrayMap(x -> arrayMap(y -> x - y, d.b), d.c))) / 1e6 AS hl_shift_ms,
  d.p AS p_value,
  m.top_shift / 1e6 AS phase_shift_ms, m.top_ratio AS phase_ratio${flag}
FROM sides AS d LEFT JOIN moved AS m ON d.function = m.function
ORDER BY function`;
  if (select === undefined) return full;
  if (!(REGRESSION_VALUES as readonly string[]).includes(select)) throw new RangeError(`unknown value column ${select}`);
  return `SELECT ${REGRESSION_LABELS.join(', ')}, ${select}\nFROM (\n${full}\n)`;
}

export interface RateQueryOptions {
  /** A SQL condition on `Minute` bounding the scan: `$__timeFilter(Minute)` in rule files. */
  timeFilter: string;
  /** The instant the recent window ends: `$__toTime` in rule files. */
  now: string;
  /** Length of the recent window, seconds; everything before it in the scan is the baseline. */
  windowS: number;
  /** Minimum invocations per side. */
  minInvocations: number;
  fn?: string;
}

export const RATE_LABELS = ['function'] as const;
export const RATE_VALUES = ['n_baseline', 'n_candidate', 'cold_rate_baseline', 'cold_rate_candidate', 'rate_ratio', 'rate_rise', 'p_value'] as const;
export type RateValue = (typeof RATE_VALUES)[number];

/**
 * The share of invocations that were cold starts, the recent window against the
 * baseline before it, per function, from the per-minute rollup (isotel_fn_minute).
 * p_value: one-sided two-proportion z-test (pooled), "the recent share is higher".
 */
export function coldRateSql(o: RateQueryOptions, select?: RateValue): string {
  const w = positiveInt('windowS', o.windowS);
  const min = positiveInt('minInvocations', o.minInvocations);
  const fnFilter = o.fn === undefined ? '' : ` AND ServiceName = ${sqlString(o.fn)}`;
  const full = `SELECT function, n_baseline, n_candidate, cold_rate_baseline, cold_rate_candidate,
  cold_rate_candidate / greatest(cold_rate_baseline, 1e-9) AS rate_ratio,
  cold_rate_candidate - cold_rate_baseline AS rate_rise,
  if(se = 0, 1, 0.5 * erfc(((cold_rate_candidate - cold_rate_baseline) / se) / sqrt(2))) AS p_value
FROM (
  SELECT function, toFloat64(nb) AS n_baseline, toFloat64(nc) AS n_candidate, kb / nb AS cold_rate_baseline, kc / nc AS cold_rate_candidate,
         (kb + kc) / (nb + nc) AS pooled, sqrt(pooled * (1 - pooled) * (1 / nb + 1 / nc)) AS se
  FROM (
    SELECT ServiceName AS function,
           sumIf(Invocations, Minute < split) AS nb, sumIf(ColdStarts, Minute < split) AS kb,
           sumIf(Invocations, Minute >= split) AS nc, sumIf(ColdStarts, Minute >= split) AS kc
    FROM isotel_fn_minute
    WHERE ${o.timeFilter}${fnFilter}
    GROUP BY ServiceName, toStartOfMinute(${o.now} - toIntervalSecond(${w})) AS split
    HAVING nb >= ${min} AND nc >= ${min}
  )
)
ORDER BY function`;
  if (select === undefined) return full;
  if (!(RATE_VALUES as readonly string[]).includes(select)) throw new RangeError(`unknown value column ${select}`);
  return `SELECT ${RATE_LABELS.join(', ')}, ${select}\nFROM (\n${full}\n)`;
}
