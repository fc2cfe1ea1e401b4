/**
 * Generated cold-start telemetry, written straight into the real otel_traces table of
 * an embedded ClickHouse (INSERT … SELECT from numbers(), so 200 seeds cost one
 * statement). Each seed is its own function (`<prefix><seed>`), so one detection
 * query evaluates every seed at once.
 *
 * The noise model, per cold start (durations in ms, z ~ N(0,1), u ~ U(0,1)):
 *   acquire  0.3 · e^(0.5 z)
 *   compile  2.0 · e^(0.3 z) · (4 on a code-cache miss, 10% of starts)
 *   evaluate 6.0 · e^(0.3 z)
 *   dispatch 1.0 · e^(0.3 z)
 *   total    = the four + 0.2 ms, the whole start ×(1.5 + 3u) on 3% of starts (a
 *              GC pause or a CPU-starved host: the heavy tail).
 * A regression multiplies one phase of the candidate version by `factor`.
 */
import { COLDSTART_PHASES, RESOURCE, SPAN, ATTR, type ColdStartPhase } from '../../../sdk/protocol/names.js';

export interface GenerateOptions {
  prefix: string;
  seeds: number;
  /** Cold starts per version. */
  perVersion: number;
  versions?: readonly [baseline: string, candidate: string];
  regression?: { phase: ColdStartPhase; factor: number };
  /** Different salts give independent random streams. */
  salt: number;
  /** Seconds before now at which the baseline version starts; the candidate starts `perVersion` × 0.1 s later. */
  startAgoS?: number;
  /** Seconds before now at which the candidate half starts instead (to place it in another window). */
  candidateStartAgoS?: number;
}

const U = (salt: number, k: number) => `((cityHash64(${salt}, seed, v, i, ${k}) % 4294967296) + 0.5) / 4294967296`;
const Z = (salt: number, k: number) => `(sqrt(-2 * log(${U(salt, k)})) * cos(2 * pi() * ${U(salt, k + 1000)}))`;

export function generateColdStartsSql(o: GenerateOptions): string {
  const [vb, vc] = o.versions ?? ['v1', 'v2'];
  const n = o.perVersion;
  const s = o.salt;
  const start = o.startAgoS ?? 2 * n * 0.1 + 60;
  const factor = (phase: ColdStartPhase) => (o.regression?.phase === phase ? `if(v = 1, ${o.regression.factor}, 1)` : '1');
  const ms = {
    acquire: `0.3 * exp(0.5 * ${Z(s, 1)}) * ${factor('acquire')}`,
    compile: `2.0 * exp(0.3 * ${Z(s, 2)}) * if(${U(s, 3)} < 0.1, 4, 1) * ${factor('compile')}`,
    evaluate: `6.0 * exp(0.3 * ${Z(s, 4)}) * ${factor('evaluate')}`,
    dispatch: `1.0 * exp(0.3 * ${Z(s, 5)}) * ${factor('dispatch')}`,
  };
  const stall = `if(${U(s, 6)} < 0.03, 1.5 + 3 * ${U(s, 7)}, 1)`;
  const phases = COLDSTART_PHASES.map((p) => `'${p}'`).join(', ');
  return `INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName, ResourceAttributes, SpanAttributes, Duration)
SELECT
  ts + toIntervalMicrosecond(k), trace, if(k = 0, root, lower(hex(cityHash64(root, k)))), if(k = 0, '', root),
  if(k = 0, '${SPAN.coldStart}', concat('${SPAN.coldStart}.', phase)), 'Internal', fn,
  map('${RESOURCE.serviceName}', fn, '${RESOURCE.faasName}', fn, '${RESOURCE.faasVersion}', version),
  if(k = 0, map(), map('${ATTR.coldStartPhase}', phase)),
  toUInt64(round(dur * 1e6))
FROM (
  SELECT seed, v, i, fn, version, ts, trace, root, st,
         [a, c, e, d] AS parts
  FROM (
    SELECT intDiv(number, ${2 * n}) AS seed, intDiv(number, ${n}) % 2 AS v, number % ${n} AS i,
           concat('${o.prefix}', toString(seed)) AS fn, if(v = 0, '${vb}', '${vc}') AS version,
           ${o.candidateStartAgoS === undefined ? `now64(9) - toIntervalMillisecond(${Math.round(start * 1000)}) + toIntervalMillisecond((v * ${n} + i) * 100)` : `if(v = 0, now64(9) - toIntervalMillisecond(${Math.round(start * 1000)}), now64(9) - toIntervalMillisecond(${Math.round(o.candidateStartAgoS * 1000)})) + toIntervalMillisecond(i * 100)`} AS ts,
           lower(concat(hex(cityHash64(${s}, seed, v, i, 't1')), hex(cityHash64(${s}, seed, v, i, 't2')))) AS trace,
           lower(hex(cityHash64(${s}, seed, v, i, 'root'))) AS root,
           ${stall} AS st,
           (${ms.acquire}) * st AS a, (${ms.compile}) * st AS c, (${ms.evaluate}) * st AS e, (${ms.dispatch}) * st AS d
    FROM numbers(${o.seeds * 2 * n})
  )
)
ARRAY JOIN
  arrayConcat([arraySum(parts) + 0.2 * st], parts) AS dur,
  arrayConcat([''], [${phases}]) AS phase,
  range(5) AS k`;
}
