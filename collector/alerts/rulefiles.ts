/**
 * The rule files in dashboards/alerts/, as Grafana's alerting file provisioning reads
 * them (apiVersion 1, groups → rules → data: ClickHouse queries + server-side
 * expressions; research/pipeline-facts.md §5.3). The files are the definition both
 * Grafana and the built-in evaluator load; this module is how they are written, so
 * the SQL in them is exactly sql.ts's. test/alerts/rules.test.ts fails when a file
 * drifts from this output; rewrite them with
 *   node dist/collector/alerts/rulefiles.js --write
 *
 * Each ClickHouse query returns string label columns plus exactly one numeric
 * column (Grafana's "numeric data" tables: one number, strings become labels), so
 * the math expression can combine them per function.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { coldRateSql, regressionSql, type RateValue, type RegressionValue } from './sql.js';

/** The Grafana data source uid the rules query: provision your ClickHouse data source with this uid. */
export const DATASOURCE_UID = 'isotel-clickhouse';
export const DATASOURCE_TYPE = 'grafana-clickhouse-datasource';

/** Defaults of the shipped rules (docs/alerting.md explains each). */
export const DEFAULTS = {
  /** Median slowdown that counts as a regression: 20%. */
  threshold: 0.2,
  /** Significance level of the one-sided Mann–Whitney U test. */
  alpha: 0.01,
  /** Cold starts needed on each side before versions are compared. */
  minSamples: 100,
  /** Newest cold starts per version that are compared. */
  maxSamples: 300,
  /** How far back cold starts are read, seconds (7 days). */
  lookbackS: 7 * 24 * 3600,
  /** Cold-start rate: recent window, baseline span before it, minimum invocations per side, absolute rise. */
  /** Drift (same version): recent window and how far back the baseline reaches, seconds. */
  driftWindowS: 3600,
  driftLookbackS: 25 * 3600,
  rateWindowS: 15 * 60,
  rateLookbackS: 6 * 3600 + 15 * 60,
  rateMinInvocations: 200,
  rateMinRise: 0.05,
} as const;

const REGRESSION_REFS: Record<string, RegressionValue> = {
  A: 'median_ratio',
  B: 'p_value',
  H: 'hl_ratio',
  S: 'hl_shift_ms',
  P: 'phase_shift_ms',
  NB: 'n_baseline',
  NC: 'n_candidate',
};

const DRIFT_REFS: Record<string, RegressionValue> = { A: 'median_ratio', B: 'p_value', S: 'hl_shift_ms', P: 'phase_shift_ms', NB: 'n_baseline', NC: 'n_candidate' };

const RATE_REFS: Record<string, RateValue> = {
  A: 'rate_ratio',
  B: 'p_value',
  D: 'rate_rise',
  RB: 'cold_rate_baseline',
  RC: 'cold_rate_candidate',
  NC: 'n_candidate',
};

function query(refId: string, rawSql: string, fromS: number) {
  return {
    refId,
    queryType: 'table',
    relativeTimeRange: { from: fromS, to: 0 },
    datasourceUid: DATASOURCE_UID,
    model: { refId, datasource: { type: DATASOURCE_TYPE, uid: DATASOURCE_UID }, editorType: 'sql', queryType: 'table', format: 1, rawSql },
  };
}

function math(refId: string, expression: string) {
  return { refId, datasourceUid: '__expr__', model: { refId, datasource: { type: '__expr__', uid: '__expr__' }, type: 'math', expression } };
}

export function coldStartRuleFile(): Record<string, unknown> {
  const d = DEFAULTS;
  const regression = (col: RegressionValue) => regressionSql({ timeFilter: '$__timeFilter(Timestamp)', minSamples: d.minSamples, maxSamples: d.maxSamples }, col);
  const drift = (col: RegressionValue) =>
    regressionSql({ timeFilter: '$__timeFilter(Timestamp)', minSamples: d.minSamples, maxSamples: d.maxSamples, window: { now: '$__toTime', windowS: d.driftWindowS } }, col);
  const rate = (col: RateValue) => coldRateSql({ timeFilter: '$__timeFilter(Minute)', now: '$__toTime', windowS: d.rateWindowS, minInvocations: d.rateMinInvocations }, col);
  return {
    apiVersion: 1,
    groups: [
      {
        orgId: 1,
        name: 'isotel-coldstart',
        folder: 'isotel',
        interval: '1m',
        rules: [
          {
            uid: 'isotel-coldstart-regression',
            title: 'ColdStartRegression',
            condition: 'C',
            for: '2m',
            keepFiringFor: '0s',
            noDataState: 'OK',
            execErrState: 'Error',
            isPaused: false,
            labels: { severity: 'warning', area: 'coldstart' },
            annotations: {
              summary: 'Cold starts of {{ $labels.function }} got slower in {{ $labels.candidate }}: median ×{{ printf "%.2f" $values.A.Value }} against {{ $labels.baseline }}',
              description:
                'Median ratio {{ printf "%.3f" $values.A.Value }}, Hodges–Lehmann ratio {{ printf "%.3f" $values.H.Value }} (shift {{ printf "%.2f" $values.S.Value }} ms), ' +
                'one-sided Mann–Whitney U p = {{ printf "%.2g" $values.B.Value }}, samples {{ $values.NB.Value }} ({{ $labels.baseline }}) vs {{ $values.NC.Value }} ({{ $labels.candidate }}). ' +
                'Phase that moved most: {{ $labels.phase }} (+{{ printf "%.2f" $values.P.Value }} ms).',
              runbook_url: 'docs/alerting.md#cold-start-regression',
            },
            data: [
              ...Object.entries(REGRESSION_REFS).map(([ref, col]) => query(ref, regression(col), d.lookbackS)),
              math('C', `$A > ${1 + d.threshold} && $B < ${d.alpha}`),
            ],
          },
          {
            uid: 'isotel-coldstart-drift',
            title: 'ColdStartDrift',
            condition: 'C',
            for: '10m',
            keepFiringFor: '0s',
            noDataState: 'OK',
            execErrState: 'Error',
            isPaused: false,
            labels: { severity: 'warning', area: 'coldstart' },
            annotations: {
              summary: 'Cold starts of {{ $labels.function }} {{ $labels.candidate }} got slower without a deploy: median ×{{ printf "%.2f" $values.A.Value }} in the last hour against the 24 hours before',
              description:
                'Same version, last hour against the 24 hours before: median ratio {{ printf "%.3f" $values.A.Value }}, Hodges–Lehmann shift {{ printf "%.2f" $values.S.Value }} ms, ' +
                'one-sided Mann–Whitney U p = {{ printf "%.2g" $values.B.Value }}, samples {{ $values.NB.Value }} before vs {{ $values.NC.Value }} recent. ' +
                'Phase that moved most: {{ $labels.phase }} (+{{ printf "%.2f" $values.P.Value }} ms). Look at the host (CPU, memory pressure) rather than the code.',
              runbook_url: 'docs/alerting.md#cold-start-drift',
            },
            data: [
              ...Object.entries(DRIFT_REFS).map(([ref, col]) => query(ref, drift(col), d.driftLookbackS)),
              math('C', `$A > ${1 + d.threshold} && $B < ${d.alpha}`),
            ],
          },
          {
            uid: 'isotel-coldstart-rate',
            title: 'ColdStartRateRise',
            condition: 'C',
            for: '5m',
            keepFiringFor: '0s',
            noDataState: 'OK',
            execErrState: 'Error',
            isPaused: false,
            labels: { severity: 'info', area: 'coldstart' },
            annotations: {
              summary: 'The cold-start share of {{ $labels.function }} rose to {{ humanizePercentage $values.RC.Value }} from {{ humanizePercentage $values.RB.Value }}',
              description: 'Last 15 minutes against the 6 hours before: ratio {{ printf "%.2f" $values.A.Value }}, one-sided two-proportion z-test p = {{ printf "%.2g" $values.B.Value }}, {{ $values.NC.Value }} recent invocations.',
              runbook_url: 'docs/alerting.md#cold-start-rate',
            },
            data: [
              ...Object.entries(RATE_REFS).map(([ref, col]) => query(ref, rate(col), d.rateLookbackS)),
              math('C', `$A > ${1 + d.threshold} && $D > ${d.rateMinRise} && $B < ${d.alpha}`),
            ],
          },
        ],
      },
    ],
  };
}

export const RULE_FILE = 'coldstart.yaml';

export function ruleFileText(): string {
  const header =
    '# isotel cold-start alert rules, in Grafana alerting file-provisioning format.\n' +
    '# Loaded as they are by Grafana (provisioning/alerting/) and by the collector\'s built-in evaluator.\n' +
    `# Needs a ClickHouse data source (${DATASOURCE_TYPE}) with uid "${DATASOURCE_UID}". See docs/alerting.md.\n` +
    '# Generated by collector/alerts/rulefiles.ts: edit there, then `node dist/collector/alerts/rulefiles.js --write`.\n';
  return header + stringify(coldStartRuleFile(), { lineWidth: 0, blockQuote: 'literal' });
}

/** dashboards/alerts, from dist/collector/alerts or collector/alerts. */
export const RULES_DIR = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../dashboards/alerts/' : '../../dashboards/alerts/', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv.includes('--write')) {
  writeFileSync(join(RULES_DIR, RULE_FILE), ruleFileText());
  process.stdout.write(`wrote ${join(RULES_DIR, RULE_FILE)}\n`);
}
