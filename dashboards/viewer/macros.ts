/**
 * Grafana macro and template-variable expansion for the ClickHouse data source
 * (grafana-clickhouse-datasource), so the built-in viewer, the query tests and the
 * benchmark run exactly the SQL Grafana would run. Order matches the plugin:
 *  1. `$__conditionalAll(cond, $var)` (frontend, before variables: it must see "All"),
 *  2. template variables (`$var`, `${var}`, `${var:format}`, `[[var]]`), multi-values as
 *     `'a','b'` and single values raw, like the plugin's `format()`,
 *  3. the backend macros (`pkg/macros/macros.go`): `$__timeFilter`, `$__timeInterval`, …
 * Pure functions, no Node APIs: usable anywhere.
 */

export interface TimeRange {
  /** Epoch milliseconds. */
  readonly from: number;
  readonly to: number;
}

/** A template variable's current value: a string, or several for multi-value variables. `ALL` selects every option. */
export type VariableValue = string | readonly string[];
export const ALL = '$__all';

export interface ExpandContext {
  readonly range: TimeRange;
  /** Panel interval in milliseconds (`$__interval_s`, `$__timeInterval`). */
  readonly intervalMs: number;
  /** Current values by variable name. */
  readonly variables: Readonly<Record<string, VariableValue>>;
  /** Every option of a variable, used when "All" is selected and no condition drops it. */
  readonly options?: Readonly<Record<string, readonly string[]>>;
}

export class MacroError extends Error {
  constructor(
    message: string,
    readonly macro: string,
  ) {
    super(message);
    this.name = 'MacroError';
  }
}

/** Arguments of the call whose `(` is at `open`: split on top-level commas, quote-aware. Returns the args and the index after `)`. */
export function parseArgs(sql: string, open: number, macro = 'macro'): { args: string[]; end: number } {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  let quote: string | null = null;
  for (let i = open; i < sql.length; i++) {
    const c = sql[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) {
        args.push(sql.slice(start, i).trim());
        return { args, end: i + 1 };
      }
    } else if (c === ',' && depth === 1) {
      args.push(sql.slice(start, i).trim());
      start = i + 1;
    }
  }
  throw new MacroError(`${macro}: unbalanced parentheses after position ${open}`, macro);
}

function isAll(v: VariableValue | undefined): boolean {
  if (v === undefined) return false;
  if (typeof v === 'string') return v === ALL || v === '';
  return v.length === 0 || v.includes(ALL);
}

/** Step 1: `$__conditionalAll(cond, $var)` → `cond`, or `1=1` when $var is All or empty. */
export function applyConditionalAll(sql: string, variables: Readonly<Record<string, VariableValue>>): string {
  const name = '$__conditionalAll';
  let at = sql.lastIndexOf(`${name}(`);
  while (at !== -1) {
    const { args, end } = parseArgs(sql, at + name.length, name);
    if (args.length < 2) throw new MacroError(`${name} takes (condition, $variable), got ${args.length} argument(s)`, name);
    const ref = args[args.length - 1]!.replace(/^\$\{?|\}$/g, '');
    if (!(ref in variables)) throw new MacroError(`${name}: unknown variable ${args[args.length - 1]}`, name);
    const cond = args.slice(0, -1).join(', ');
    sql = sql.slice(0, at) + (isAll(variables[ref]) ? '1=1' : cond) + sql.slice(end);
    at = sql.lastIndexOf(`${name}(`);
  }
  return sql;
}

/** Escapes a value for a single-quoted ClickHouse string literal. */
export function sqlQuote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function formatValue(name: string, value: VariableValue, format: string | undefined, options: readonly string[] | undefined): string {
  let values: readonly string[] = typeof value === 'string' ? [value] : value;
  if (isAll(value)) values = options ?? [];
  const multi = typeof value !== 'string' || isAll(value);
  switch (format) {
    case undefined:
      // The plugin's format(): arrays become 'a','b'; single values go in raw (the SQL quotes them).
      return multi ? values.map(sqlQuote).join(',') : (values[0] ?? '');
    case 'raw':
      return values.join(',');
    case 'csv':
      return values.join(',');
    case 'singlequote':
    case 'sqlstring':
      return values.map(sqlQuote).join(',');
    case 'doublequote':
      return values.map((v) => `"${v.replace(/"/g, '\\"')}"`).join(',');
    case 'pipe':
      return values.join('|');
    default:
      throw new MacroError(`variable ${name}: unsupported format ":${format}"`, `$${name}`);
  }
}

/** Step 2: template variables. Unknown `$names` are left alone (they may be macros or SQL). */
export function interpolateVariables(sql: string, variables: Readonly<Record<string, VariableValue>>, options: Readonly<Record<string, readonly string[]>> = {}): string {
  const re = /\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)(?::(\w+))?\]\]|\$(\w+)/g;
  return sql.replace(re, (m, n1?: string, f1?: string, n2?: string, f2?: string, n3?: string) => {
    const name = (n1 ?? n2 ?? n3)!;
    if (name.startsWith('__') || !(name in variables)) return m;
    return formatValue(name, variables[name]!, f1 ?? f2, options[name]);
  });
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

/** Step 3: the backend macros. */
export function expandMacros(sql: string, range: TimeRange, intervalMs: number): string {
  const from = seconds(range.from);
  const to = seconds(range.to);
  const intervalS = Math.max(1, Math.round(intervalMs / 1000));
  const fns: Record<string, (args: string[]) => string> = {
    $__timeFilter: ([c]) => `${c} >= toDateTime(${from}) AND ${c} <= toDateTime(${to})`,
    $__timeFilter_ms: ([c]) => `${c} >= fromUnixTimestamp64Milli(${range.from}) AND ${c} <= fromUnixTimestamp64Milli(${range.to})`,
    $__dateFilter: ([c]) => `${c} >= toDate('${isoDate(range.from)}') AND ${c} <= toDate('${isoDate(range.to)}')`,
    $__timeFrom: ([c]) => `${c} >= toDateTime(${from})`,
    $__timeTo: ([c]) => `${c} <= toDateTime(${to})`,
    $__timeInterval: ([c]) => `toStartOfInterval(toDateTime(${c}), INTERVAL ${intervalS} second)`,
    $__timeInterval_ms: ([c]) => `toStartOfInterval(toDateTime64(${c}, 3), INTERVAL ${Math.max(1, Math.round(intervalMs))} millisecond)`,
    $__timeGroup: ([c, step]) => `toStartOfInterval(toDateTime(${c}), INTERVAL ${parseDuration(String(step ?? '').replace(/^'|'$/g, '')) / 1000} second)`,
  };
  // Function-style macros, innermost-last so nested calls expand correctly.
  const callRe = /\$__(timeFilter_ms|timeFilter|dateFilter|timeFrom|timeTo|timeInterval_ms|timeInterval|timeGroup)\(/g;
  let m: RegExpExecArray | null;
  const calls: { at: number; name: string }[] = [];
  while ((m = callRe.exec(sql))) calls.push({ at: m.index, name: `$__${m[1]}` });
  for (const { at, name } of calls.reverse()) {
    const { args, end } = parseArgs(sql, at + name.length, name);
    if (args.length === 0 || args[0] === '') throw new MacroError(`${name} needs a column argument`, name);
    sql = sql.slice(0, at) + fns[name]!(args) + sql.slice(end);
  }
  const unknown = /\$__(conditionalAll|timeFilter|timeInterval|dateFilter|timeGroup)\b/.exec(sql);
  if (unknown) throw new MacroError(`${unknown[0]} must be called with arguments`, unknown[0]);
  return sql
    .replace(/\$__fromTime_ms\b/g, `fromUnixTimestamp64Milli(${range.from})`)
    .replace(/\$__toTime_ms\b/g, `fromUnixTimestamp64Milli(${range.to})`)
    .replace(/\$__fromTime\b/g, `toDateTime(${from})`)
    .replace(/\$__toTime\b/g, `toDateTime(${to})`)
    .replace(/\$__interval_ms\b/g, String(Math.max(1, Math.round(intervalMs))))
    .replace(/\$__interval_s\b/g, String(intervalS))
    .replace(/\$__interval\b/g, `${intervalS}s`);
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The whole pipeline: what Grafana sends to ClickHouse for this panel target. */
export function expandQuery(sql: string, ctx: ExpandContext): string {
  const out = expandMacros(interpolateVariables(applyConditionalAll(sql, ctx.variables), ctx.variables, ctx.options), ctx.range, ctx.intervalMs);
  const left = /\$__\w+|\$\{\w+[^}]*\}|\[\[\w+\]\]|\$[A-Za-z_]\w*/.exec(out);
  if (left) throw new MacroError(`unexpanded ${left[0]} (unknown macro or variable)`, left[0]);
  return out;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, M: 2_592_000_000, y: 31_536_000_000 };

/** "30s", "5m", "1h", "7d" → ms. */
export function parseDuration(s: string): number {
  const m = /^(\d+)(ms|s|m|h|d|w|M|y)$/.exec(s.trim());
  if (!m) throw new MacroError(`"${s}" is not a duration like 30s, 5m, 1h`, 'duration');
  return Number(m[1]) * UNITS[m[2]!]!;
}

/**
 * Grafana's relative time syntax: `now`, `now-6h`, `now-1d/d`, or epoch ms. Returns epoch ms.
 * Rounding (`/d`) snaps to the start of the unit for `from`, the end for `to`, in UTC.
 */
export function parseTime(s: string, now: number, isEnd = false): number {
  if (/^\d+$/.test(s)) return Number(s);
  const m = /^now(?:([+-])(\d+)(ms|s|m|h|d|w|M|y))?(?:\/(s|m|h|d|w))?$/.exec(s.trim());
  if (!m) throw new MacroError(`"${s}" is not a time like now, now-6h or epoch milliseconds`, 'time');
  let t = now;
  if (m[1]) t += (m[1] === '-' ? -1 : 1) * Number(m[2]) * UNITS[m[3]!]!;
  if (m[4]) {
    const unit = UNITS[m[4]]!;
    t = Math.floor(t / unit) * unit + (isEnd ? unit - 1 : 0);
  }
  return t;
}

/** Grafana's `roundInterval` steps: an auto interval snaps to the nearest friendly one. */
const STEPS: [number, number][] = [
  [15, 10], [35, 20], [75, 50], [150, 100], [350, 200], [750, 500], [1500, 1000], [3500, 2000], [7500, 5000], [12500, 10000],
  [17500, 15000], [25000, 20000], [45000, 30000], [90000, 60000], [210000, 120000], [450000, 300000], [750000, 600000],
  [1050000, 900000], [1500000, 1200000], [2700000, 1800000], [5400000, 3600000], [9000000, 7200000], [16200000, 10800000],
  [32400000, 21600000], [86400000, 43200000], [604800000, 86400000], [1814400000, 604800000], [3628800000, 2592000000],
];

export function roundInterval(ms: number): number {
  for (const [limit, step] of STEPS) if (ms <= limit) return step;
  return 31_536_000_000;
}

/** The panel interval: range / max data points, rounded, never below the panel's minimum (`interval: "1m"`). */
export function panelInterval(range: TimeRange, maxDataPoints: number, minInterval?: string): number {
  const raw = roundInterval((range.to - range.from) / Math.max(1, maxDataPoints));
  const min = minInterval ? parseDuration(minInterval) : 1000;
  return Math.max(raw, min);
}
