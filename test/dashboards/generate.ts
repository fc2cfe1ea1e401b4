/**
 * Generates host-shaped telemetry inside ClickHouse (INSERT … SELECT FROM numbers()),
 * through the same materialized views the collector's rows go through. Shape follows
 * the host (host/telemetry/worker-telemetry.ts, sdk/protocol/names.ts): an invocation
 * span per request (SERVER, named after the function, faas.* resource), on a cold start
 * an `isotel.coldstart` child with one child per phase, console logs carrying the trace
 * context, density gauges per host and per function, cumulative counters.
 *
 * Deterministic for a given seed: hash-derived, so tests can find "the slowest
 * invocation" and know it exists. Used by the query tests, the browser tests, the
 * screenshots and the benchmark (10M spans).
 */
import { ATTR, METRIC, RESOURCE, SPAN } from '../../sdk/protocol/names.js';

export interface GenerateOptions {
  /** Function names; traffic is skewed towards the first ones. */
  functions: readonly string[];
  /** Invocations (SERVER spans); cold ones add 5 spans each. */
  invocations: number;
  hosts?: number;
  /** End of the generated window, epoch ms (default now). */
  endMs?: number;
  hours?: number;
  seed?: number;
  /** Rows per INSERT (bounded memory for big loads). */
  chunk?: number;
  /** Also write the density gauges and counters (default true). */
  metrics?: boolean;
}

export interface Generated {
  startMs: number;
  endMs: number;
  invocations: number;
  spans: number;
  logs: number;
}

type Exec = (sql: string) => Promise<void>;
type Count = (sql: string) => Promise<number>;

const q = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export const EXAMPLE_FUNCTIONS = ['checkout', 'auth', 'image-resize', 'search', 'cart', 'recommend', 'pdf-render', 'webhook', 'geoip', 'thumbnail', 'email', 'inventory'];

/** Names for many functions: the realistic ones first, then fn-0013… */
export function functionNames(n: number): string[] {
  const out = EXAMPLE_FUNCTIONS.slice(0, n);
  for (let i = out.length; i < n; i++) out.push(`fn-${String(i + 1).padStart(4, '0')}`);
  return out;
}

/** One row per invocation with everything derived from its hash (shared by spans and logs). */
function invocationsSql(o: Required<GenerateOptions>, startNs: bigint, rangeNs: bigint, from: number, count: number): string {
  const F = o.functions.length;
  return `
SELECT
  i, h, f, fn, tns, version, inst, host, cold, err, timeout, status, method, path,
  acquire_ms, cache_hit, compile_ms, evaluate_ms, dispatch_ms,
  acquire_ms + compile_ms + evaluate_ms + dispatch_ms AS init_ms,
  if(timeout, 10000., handler_ms) AS run_ms,
  lower(hex(MD5(concat(toString(i), '/', toString(${o.seed}))))) AS trace_id
FROM (
  SELECT
    number AS i,
    cityHash64(number, ${o.seed}) AS h,
    toUInt32(least(${F - 1}, floor(${F} * pow((bitShiftRight(h, 8) % 1000003) / 1000003., 1.7)))) AS f,
    arrayElement(fns, f + 1) AS fn,
    ${startNs}::Int64 + toInt64(intDiv(toUInt128(number) * ${rangeNs}, ${o.invocations})) AS tns,
    number / ${o.invocations} AS frac,
    if(frac >= 0.80 + (f % 4) * 0.04, 'v2', 'v1') AS version,
    bitShiftRight(h, 54) % 3 AS inst,
    concat('isotel-host-', toString(f % ${o.hosts} + 1)) AS host,
    (bitShiftRight(h, 10) % 1000) < if(version = 'v2' AND f % 2 = 0, 70, 30) AS cold,
    (bitShiftRight(h, 20) % 1000) AS r2,
    r2 < if(version = 'v2' AND f % 4 = 1, 45, 12) AS err,
    NOT err AND bitShiftRight(h, 24) % 10000 >= if(f % 3 = 0, 9980, 9996) AS timeout,
    if(err, 500, if(timeout, 504, 200)) AS status,
    if(bitShiftRight(h, 30) % 5 = 0, 'POST', 'GET') AS method,
    concat('/', fn, arrayElement(['/', '/api/items', '/api/items/42', '/health'], bitShiftRight(h, 33) % 4 + 1)) AS path,
    (bitShiftRight(h, 36) % 1000003 + 1) / 1000004. AS u,
    (2 + (f % 7) * 3) * (0.35 + 1.1 * -log(u)) AS handler_ms,
    0.04 + (bitShiftRight(h, 40) % 100) / 500. AS acquire_ms,
    (bitShiftRight(h, 44) % 10) < 8 AS cache_hit,
    if(cache_hit, 0.35, 2.8) * (1 + (bitShiftRight(h, 47) % 100) / 120.) AS compile_ms,
    (0.8 + (f % 5) * 0.5) * if(version = 'v2' AND f % 2 = 0, 2.1, 1.) * (1 + (bitShiftRight(h, 50) % 100) / 150.) AS evaluate_ms,
    0.05 + (bitShiftRight(h, 57) % 10) / 100. AS dispatch_ms
  FROM numbers(${from}, ${count})
)`;
}

function sid(i: string, k: string | number, seed: number): string {
  return `leftPad(lower(hex(cityHash64(${i}, ${k}, ${seed}))), 16, '0')`;
}

export async function generateTelemetry(exec: Exec, count: Count, opts: GenerateOptions): Promise<Generated> {
  const o = { hosts: 2, endMs: Date.now(), hours: 24, seed: 7, metrics: true, ...opts } as Required<GenerateOptions>;
  const chunk = opts.chunk ?? 1_000_000;
  const startMs = o.endMs - o.hours * 3_600_000;
  const startNs = BigInt(startMs) * 1_000_000n;
  const rangeNs = BigInt(o.hours * 3_600_000) * 1_000_000n;
  const fnArray = `[${o.functions.map(q).join(',')}]`;
  const seed = o.seed;
  const phaseNames = `['${SPAN.phaseAcquire}', '${SPAN.phaseCompile}', '${SPAN.phaseEvaluate}', '${SPAN.phaseDispatch}']`;
  const resource = `map('${RESOURCE.serviceName}', fn, '${RESOURCE.serviceVersion}', version, '${RESOURCE.faasName}', fn, '${RESOURCE.faasVersion}', version,
      '${RESOURCE.faasInstance}', concat(fn, '-', version, '-', toString(inst)), '${RESOURCE.faasMaxMemory}', '134217728', '${RESOURCE.hostName}', host)`;
  const spansBefore = await count('SELECT count() FROM otel_traces');
  const logsBefore = await count('SELECT count() FROM otel_logs');

  for (let from = 0; from < o.invocations; from += chunk) {
    const n = Math.min(chunk, o.invocations - from);
    const inv = `WITH ${fnArray} AS fns ${invocationsSql(o, startNs, rangeNs, from, n)}`;
    await exec(`
INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName, ResourceAttributes, ScopeName, ScopeVersion,
  SpanAttributes, Duration, StatusCode, StatusMessage, \`Events.Timestamp\`, \`Events.Name\`, \`Events.Attributes\`, \`Links.TraceId\`, \`Links.SpanId\`, \`Links.TraceState\`, \`Links.Attributes\`)
SELECT
  fromUnixTimestamp64Nano(tns + toInt64(1e6 * multiIf(k = 0, 0, k = 1, 0.02, k = 2, 0.02, k = 3, 0.02 + acquire_ms, k = 4, 0.02 + acquire_ms + compile_ms, 0.02 + acquire_ms + compile_ms + evaluate_ms))),
  trace_id,
  ${sid('i', 'k', seed)},
  multiIf(k = 0, '', k = 1, ${sid('i', 0, seed)}, ${sid('i', 1, seed)}),
  '',
  if(k = 0, fn, if(k = 1, '${SPAN.coldStart}', arrayElement(${phaseNames}, k - 1))),
  if(k = 0, 'Server', 'Internal'),
  fn,
  ${resource},
  '${'isotel.host'}', '0.1.0',
  multiIf(
    k = 0, mapUpdate(map('${ATTR.faasTrigger}', 'http', '${ATTR.faasColdstart}', if(cold, 'true', 'false'), '${ATTR.faasInvocationId}', trace_id,
      '${ATTR.httpRequestMethod}', method, '${ATTR.urlPath}', path, '${ATTR.httpRoute}', concat('/', fn, '/*'), '${ATTR.httpResponseStatusCode}', toString(status)),
      if(err, map('${ATTR.errorCode}', 'ISOTEL_ERR_HANDLER_THREW', '${ATTR.errorType}', 'TypeError'),
        if(timeout, map('${ATTR.errorCode}', 'ISOTEL_ERR_LIMIT_WALL_TIME', '${ATTR.errorType}', '504'), map()))),
    k = 1, map('${ATTR.codeCacheHit}', if(cache_hit, 'true', 'false'), '${ATTR.poolHit}', 'true', '${ATTR.functionVersion}', version),
    k = 2, map('${ATTR.coldStartPhase}', 'acquire', '${ATTR.poolHit}', 'true'),
    k = 3, map('${ATTR.coldStartPhase}', 'compile', '${ATTR.codeCacheHit}', if(cache_hit, 'true', 'false')),
    k = 4, map('${ATTR.coldStartPhase}', 'evaluate'),
    map('${ATTR.coldStartPhase}', 'dispatch')),
  toUInt64(1e6 * multiIf(k = 0, if(cold, init_ms, 0) + run_ms, k = 1, init_ms, k = 2, acquire_ms, k = 3, compile_ms, k = 4, evaluate_ms, dispatch_ms)),
  if(k = 0 AND (err OR timeout), 'Error', 'Unset'),
  if(k = 0 AND err, 'TypeError: cannot read properties of undefined (reading \\'id\\')', if(k = 0 AND timeout, 'invocation aborted: wall-time limit 10000 ms', '')),
  if(k = 0 AND err, [fromUnixTimestamp64Nano(tns + toInt64(1e6 * (if(cold, init_ms, 0) + run_ms * 0.9)))], []),
  if(k = 0 AND err, ['exception'], []),
  if(k = 0 AND err, [map('exception.type', 'TypeError', 'exception.message', 'cannot read properties of undefined (reading \\'id\\')', 'exception.stacktrace', concat('TypeError: cannot read properties of undefined\\n    at fetch (', fn, '.js:14:22)'))], []),
  [], [], [], []
FROM (${inv})
ARRAY JOIN if(cold, [0, 1, 2, 3, 4, 5], [0]) AS k`);

    await exec(`
INSERT INTO otel_logs (Timestamp, TraceId, SpanId, TraceFlags, SeverityText, SeverityNumber, ServiceName, Body, ResourceSchemaUrl, ResourceAttributes,
  ScopeSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, LogAttributes, EventName)
SELECT
  fromUnixTimestamp64Nano(tns + toInt64(1e6 * (if(cold, init_ms, 0) + run_ms * 0.8))),
  trace_id, ${sid('i', 0, seed)}, 1,
  if(err, 'ERROR', if(timeout, 'WARN', 'INFO')), if(err, 17, if(timeout, 13, 9)),
  fn,
  multiIf(err, concat('failed to load order for ', path, ': TypeError: cannot read properties of undefined'),
          timeout, concat('upstream still pending after 9.5s for ', path),
          concat(method, ' ', path, ' -> ', toString(status), ' (', toString(round(run_ms, 1)), ' ms)')),
  '', ${resource}, '', 'console', '', map(), map('log.source', 'console'), ''
FROM (${inv})
WHERE err OR timeout OR bitShiftRight(h, 60) % 4 = 0`);
  }

  if (o.metrics) await generateMetrics(exec, o, startMs);
  return {
    startMs,
    endMs: o.endMs,
    invocations: o.invocations,
    spans: (await count('SELECT count() FROM otel_traces')) - spansBefore,
    logs: (await count('SELECT count() FROM otel_logs')) - logsBefore,
  };
}

/**
 * Density gauges and counters shaped like host/telemetry/metrics.ts: one Resource per
 * worker process (service.name isotel-host, host.name, process.pid, isotel.worker.id),
 * functions sharded across a host's workers by name, one point per minute and series.
 */
async function generateMetrics(exec: Exec, o: Required<GenerateOptions>, startMs: number): Promise<void> {
  const F = o.functions.length;
  const H = o.hosts;
  const W = 2; // worker processes per host
  const M = Math.max(1, Math.ceil(o.hours * 60));
  const fnArray = `[${o.functions.map(q).join(',')}]`;
  const startS = Math.floor(startMs / 60_000) * 60;
  const prefix = `ResourceAttributes, ResourceSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, ScopeDroppedAttrCount, ScopeSchemaUrl, ServiceName, MetricName, MetricDescription, MetricUnit, Attributes, StartTimeUnix, TimeUnix`;
  const exemplarsNone = '[], [], [], [], []';
  const worker = (host: string, wi: string) =>
    `map('${RESOURCE.serviceName}', 'isotel-host', '${RESOURCE.hostName}', ${host}, '${RESOURCE.processPid}', toString(1000 + ${wi}), '${ATTR.workerId}', toString(${wi}))`;
  const row = (host: string, wi: string, name: string, desc: string, unit: string, attrs: string) =>
    `${worker(host, wi)}, '', 'isotel.host', '0.1.0', map(), 0, '', 'isotel-host', '${name}', '${desc}', '${unit}', ${attrs}, toDateTime64(${startS}, 9), toDateTime64(tsec, 9)`;
  const gaugeCols = `${prefix}, Value, Flags, \`Exemplars.FilteredAttributes\`, \`Exemplars.TimeUnix\`, \`Exemplars.Value\`, \`Exemplars.SpanId\`, \`Exemplars.TraceId\``;
  const sumCols = `${gaugeCols}, AggregationTemporality, IsMonotonic`;

  // Per function and minute: resident instances (0 when scaled to zero), heap of those instances.
  const perFn = `SELECT intDiv(number, ${F}) AS m, number % ${F} AS f, arrayElement(${fnArray}, f + 1) AS fn,
      concat('isotel-host-', toString(f % ${H} + 1)) AS host, intDiv(f, ${H}) % ${W} AS wi, ${startS} + m * 60 + 20 AS tsec,
      greatest(0, round(3 * pow(0.995, f) * (0.55 + 0.45 * sin(m / 50. + f * 1.7)) - 0.35)) AS instances,
      (3.5e6 + (f % 9) * 1.2e6) * (1 + 0.15 * sin(m / 20. + f)) AS heap_per_instance
    FROM numbers(${M * F})`;
  await exec(`INSERT INTO otel_metrics_gauge (${gaugeCols})
SELECT ${row('host', 'wi', METRIC.instancesResident, 'Resident function instances', '{instance}', `map('${RESOURCE.faasName}', fn)`)}, instances, 0, ${exemplarsNone}
FROM (${perFn}) WHERE instances > 0`);
  await exec(`INSERT INTO otel_metrics_gauge (${gaugeCols})
SELECT ${row('host', 'wi', METRIC.instanceHeap, 'Isolate heap of resident instances, per function', 'By', `map('${RESOURCE.faasName}', fn)`)}, round(instances * heap_per_instance), 0, ${exemplarsNone}
FROM (${perFn}) WHERE instances > 0`);

  // Per worker process and minute: totals over its functions, pool, RSS; CPUs per host.
  const perWorker = `SELECT m, host, wi, count() AS fns, sum(instances) AS inst, ${startS} + m * 60 + 15 AS tsec, hi
    FROM (SELECT intDiv(number, ${F}) AS m, number % ${F} AS f, concat('isotel-host-', toString(f % ${H} + 1)) AS host, f % ${H} AS hi, intDiv(f, ${H}) % ${W} AS wi,
            greatest(0, round(3 * pow(0.995, f) * (0.55 + 0.45 * sin(m / 50. + f * 1.7)) - 0.35)) AS instances FROM numbers(${M * F}))
    WHERE instances > 0 GROUP BY m, host, hi, wi`;
  const workerGauge = (name: string, desc: string, unit: string, value: string) => `INSERT INTO otel_metrics_gauge (${gaugeCols})
SELECT ${row('host', 'wi', name, desc, unit, 'map()')}, ${value}, 0, ${exemplarsNone} FROM (${perWorker})`;
  await exec(workerGauge(METRIC.functionsResident, 'Functions with at least one resident instance', '{function}', 'fns'));
  await exec(workerGauge(METRIC.instancesResident, 'Resident function instances', '{instance}', 'inst'));
  await exec(workerGauge(METRIC.poolSize, 'Pre-initialised isolates ready', '{isolate}', 'round(4 + 3 * sin(m / 40. + hi + wi))'));
  await exec(workerGauge(METRIC.hostRss, 'Resident set size of the worker process', 'By', 'round(95e6 + inst * 5.6e6 + 4e6 * sin(m / 13.))'));
  await exec(workerGauge(METRIC.hostCpus, 'Logical CPUs of the host', '{cpu}', '2')); // every worker reports its host's CPUs

  // Observable counters per worker (cumulative, the OTel JS default), monotonic by construction.
  const counter = (name: string, unit: string, rate: number) => `INSERT INTO otel_metrics_sum (${sumCols})
SELECT ${row('host', 'wi', name, '', unit, 'map()')}, floor(${rate} * m + ${rate * 60} * (1 - cos(m / 60. + wi)) + hi), 0, ${exemplarsNone}, 2, true
FROM (SELECT intDiv(number, ${H * W}) AS m, intDiv(number % ${H * W}, ${W}) AS hi, number % ${W} AS wi, concat('isotel-host-', toString(hi + 1)) AS host,
             ${startS} + m * 60 + 15 AS tsec FROM numbers(${M * H * W}))`;
  await exec(counter(METRIC.poolMisses, '{miss}', 1.2));
  await exec(counter(METRIC.evictions, '{instance}', 0.8));
  await exec(counter(METRIC.scaleToZero, '{instance}', 1.3));

  // faas.timeouts: the host's counter, attributes per function and version, for the functions that time out.
  await exec(`INSERT INTO otel_metrics_sum (${sumCols})
SELECT ${row('host', 'wi', METRIC.timeouts, '', '{timeout}', `map('faas.trigger', 'http', '${RESOURCE.faasName}', fn, '${RESOURCE.faasVersion}', 'v1')`)}, floor(m * rate), 0, ${exemplarsNone}, 2, true
FROM (SELECT intDiv(number, ${F}) AS m, number % ${F} AS f, arrayElement(${fnArray}, f + 1) AS fn, concat('isotel-host-', toString(f % ${H} + 1)) AS host,
             intDiv(f, ${H}) % ${W} AS wi, ${startS} + m * 60 + 25 AS tsec, 0.08 * pow(0.995, f) AS rate FROM numbers(${M * F}) WHERE f % 3 = 0)`);
}
