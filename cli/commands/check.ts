/**
 * `isotel check coldstart --function <f> [--baseline <v>] [--candidate <v>]`: a CI gate
 * before promoting a version. Runs the same regression query as the alert rule
 * (collector/alerts/sql.ts) through the collector's query API and prints the evidence.
 *
 * Exit codes: 0 no regression, 1 regression, 2 could not decide (too few cold starts,
 * unknown version, collector unreachable).
 */
import { IsotelError } from '../../common/errors.js';
import { DEFAULTS } from '../../collector/alerts/rulefiles.js';
import { regressionSql, sqlString, type RegressionRow } from '../../collector/alerts/sql.js';
import { RESOURCE, SPAN } from '../../sdk/protocol/names.js';

export interface CheckColdstartOptions {
  fn: string;
  baseline?: string;
  candidate?: string;
  /** The collector's viewer port base URL, e.g. http://127.0.0.1:8788. */
  viewerUrl: string;
  json?: boolean;
  /** Defaults to the alert rule's (100 per side). */
  minSamples?: number;
  out?: (s: string) => void;
  err?: (s: string) => void;
}

async function query<T>(viewerUrl: string, sql: string): Promise<T[]> {
  let res: Response;
  try {
    res = await fetch(`${viewerUrl.replace(/\/$/, '')}/api/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql }) });
  } catch (e) {
    throw new IsotelError('ISOTEL_ERR_CLICKHOUSE_UNAVAILABLE', `the collector query API at ${viewerUrl} is not reachable: ${(e as Error).message} (is \`isotel up\` running? pass --viewer-port)`);
  }
  const body = (await res.json().catch(() => ({}))) as { data?: T[]; error?: { code?: string; message?: string } };
  if (!res.ok || !body.data) throw new IsotelError('ISOTEL_ERR_QUERY_FAILED', `query API ${res.status}: ${body.error?.message ?? 'no data'}`);
  return body.data;
}

const f = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : String(n));

export async function checkColdstartCommand(opts: CheckColdstartOptions): Promise<number> {
  const out = opts.out ?? ((s: string) => process.stdout.write(s + '\n'));
  const err = opts.err ?? ((s: string) => process.stderr.write(s + '\n'));
  const minSamples = opts.minSamples ?? DEFAULTS.minSamples;
  try {
    if (!opts.fn) throw new IsotelError('ISOTEL_ERR_CHECK_BAD_INPUT', 'isotel check coldstart: --function is required');
    if (!Number.isInteger(minSamples) || minSamples < 2) throw new IsotelError('ISOTEL_ERR_CHECK_BAD_INPUT', `--min-samples must be an integer ≥ 2, got ${minSamples}`);
    if (opts.baseline !== undefined && opts.baseline === opts.candidate) throw new IsotelError('ISOTEL_ERR_CHECK_BAD_INPUT', `--baseline and --candidate are both ${opts.baseline}`);
    const lookback = `Timestamp >= now() - INTERVAL ${DEFAULTS.lookbackS} SECOND`;
    const sql = regressionSql({ timeFilter: lookback, minSamples, maxSamples: Math.max(minSamples, DEFAULTS.maxSamples), fn: opts.fn, baseline: opts.baseline, candidate: opts.candidate, threshold: DEFAULTS.threshold, alpha: DEFAULTS.alpha });
    const [row] = await query<RegressionRow>(opts.viewerUrl, sql);
    if (!row) {
      // Say why: which versions have how many cold starts.
      const versions = await query<{ version: string; n: number | string }>(
        opts.viewerUrl,
        `SELECT ResourceAttributes['${RESOURCE.faasVersion}'] AS version, count() AS n, max(Timestamp) AS last FROM otel_traces WHERE SpanName = '${SPAN.coldStart}' AND ServiceName = ${sqlString(opts.fn)} AND ${lookback} GROUP BY version ORDER BY last DESC`,
      );
      const seen = versions.map((v) => `${v.version} (${v.n})`).join(', ') || 'none';
      for (const v of [opts.baseline, opts.candidate]) {
        if (v !== undefined && !versions.some((x) => x.version === v)) throw new IsotelError('ISOTEL_ERR_CHECK_BAD_INPUT', `${opts.fn} has no cold starts of version ${v} in the last 7 days; versions with cold starts: ${seen}`);
      }
      throw new IsotelError('ISOTEL_ERR_CHECK_INSUFFICIENT_DATA', `${opts.fn}: need ${minSamples} cold starts of each compared version; versions with cold starts (newest first): ${seen}`);
    }
    const regressed = row.regressed === 1;
    if (opts.json) {
      out(JSON.stringify({ ...row, regressed, threshold: DEFAULTS.threshold, alpha: DEFAULTS.alpha, minSamples }, null, 2));
    } else {
      out(`${regressed ? 'REGRESSION' : 'ok'}: ${row.function} cold starts, ${row.candidate} (candidate) vs ${row.baseline} (baseline)`);
      out(`  median          ${f(row.median_candidate_ms)} ms vs ${f(row.median_baseline_ms)} ms  (×${f(row.median_ratio, 3)}; threshold ×${1 + DEFAULTS.threshold})`);
      out(`  Hodges–Lehmann  shift ${f(row.hl_shift_ms)} ms, ratio ×${f(row.hl_ratio, 3)}`);
      out(`  Mann–Whitney U  one-sided p = ${row.p_value.toPrecision(3)}  (significant below ${DEFAULTS.alpha})`);
      out(`  samples         ${row.n_candidate} (${row.candidate}) vs ${row.n_baseline} (${row.baseline})`);
      out(`  moved most      ${row.phase || '-'} phase: ${f(row.phase_shift_ms)} ms (×${f(row.phase_ratio, 3)})`);
    }
    return regressed ? 1 : 0;
  } catch (e) {
    if (e instanceof IsotelError) {
      err(`isotel check coldstart: ${e.message} [${e.code}]`);
      return 2;
    }
    throw e;
  }
}
