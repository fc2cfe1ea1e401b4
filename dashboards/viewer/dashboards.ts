/**
 * The dashboards as data: loads the Grafana JSON files (the single definition), resolves
 * template variables and runs a panel's targets with the macros expanded. Shared by the
 * viewer's routes, the query tests and the benchmark, so all three run the same SQL.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IsotelError } from '../../common/errors.js';
import type { Field, Frame } from './frame.js';
export type { Field, Frame } from './frame.js';
import { ALL, expandQuery, MacroError, panelInterval, type TimeRange, type VariableValue } from './macros.js';

/** dashboards/ in the source tree, from dist/dashboards/viewer or dashboards/viewer. */
export const DASHBOARD_DIR = fileURLToPath(new URL(import.meta.url.includes('/dist/dashboards/') ? '../../../dashboards/' : '../', import.meta.url));

export const DATASOURCE_TYPE = 'grafana-clickhouse-datasource';

export interface Target {
  refId: string;
  rawSql: string;
  format?: number;
  queryType?: string;
  editorType?: string;
  hide?: boolean;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos: { x: number; y: number; w: number; h: number };
  interval?: string;
  maxDataPoints?: number;
  targets?: Target[];
  fieldConfig?: { defaults?: { unit?: string; decimals?: number; min?: number; max?: number; custom?: Record<string, unknown>; thresholds?: unknown }; overrides?: unknown[] };
  options?: Record<string, unknown>;
  panels?: Panel[];
  collapsed?: boolean;
}

export interface Variable {
  type: string;
  name: string;
  label?: string;
  query?: string | { rawSql?: string; editorType?: string };
  multi?: boolean;
  includeAll?: boolean;
  current?: { value?: VariableValue; text?: VariableValue };
  hide?: number;
}

export interface Dashboard {
  uid: string;
  title: string;
  description?: string;
  tags?: string[];
  time?: { from: string; to: string };
  refresh?: string;
  templating?: { list: Variable[] };
  panels: Panel[];
  /** File name under dashboards/. */
  file: string;
}

/** Every panel, rows flattened (a collapsed row keeps its panels in `panels`). */
export function allPanels(d: Dashboard): Panel[] {
  const out: Panel[] = [];
  for (const p of d.panels) {
    if (p.type === 'row') out.push(...(p.panels ?? []));
    else out.push(p);
  }
  return out;
}

function bad(file: string, what: string): IsotelError {
  return new IsotelError('ISOTEL_ERR_DASHBOARD_INVALID', `dashboards/${file}: ${what}`);
}

/** Parses and checks one dashboard file: the parts the viewer relies on, with the file and panel in the message. */
export function parseDashboard(file: string, text: string): Dashboard {
  let d: Dashboard;
  try {
    d = JSON.parse(text) as Dashboard;
  } catch (e) {
    throw bad(file, `not valid JSON (${(e as Error).message})`);
  }
  if (typeof d.uid !== 'string' || !/^[A-Za-z0-9_-]{1,40}$/.test(d.uid)) throw bad(file, 'needs a "uid" of 1–40 letters, digits, "-" or "_"');
  if (typeof d.title !== 'string' || d.title === '') throw bad(file, 'needs a "title"');
  if (!Array.isArray(d.panels)) throw bad(file, 'needs a "panels" array');
  const ids = new Set<number>();
  for (const p of allPanels(d)) {
    const where = `panel ${JSON.stringify(p.title)} (id ${p.id})`;
    if (typeof p.id !== 'number' || ids.has(p.id)) throw bad(file, `${where}: every panel needs a unique numeric "id"`);
    ids.add(p.id);
    if (!p.gridPos || ['x', 'y', 'w', 'h'].some((k) => typeof (p.gridPos as unknown as Record<string, unknown>)[k] !== 'number')) throw bad(file, `${where}: needs gridPos {x, y, w, h}`);
    for (const t of p.targets ?? []) if (typeof t.rawSql !== 'string' || t.rawSql.trim() === '') throw bad(file, `${where}: target ${t.refId} has no rawSql`);
  }
  for (const v of d.templating?.list ?? []) if (typeof v.name !== 'string' || !/^\w+$/.test(v.name)) throw bad(file, `variable ${JSON.stringify(v.name)}: names are letters, digits and "_"`);
  return { ...d, file };
}

export function loadDashboards(dir = DASHBOARD_DIR): Dashboard[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => parseDashboard(f, readFileSync(join(dir, f), 'utf8')));
}

/** Like loadDashboards, but a broken file is reported instead of hiding every other dashboard (the viewer's view). */
export function loadDashboardsTolerant(dir = DASHBOARD_DIR): { dashboards: Dashboard[]; errors: { file: string; code: string; message: string }[] } {
  const dashboards: Dashboard[] = [];
  const errors: { file: string; code: string; message: string }[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
    try {
      dashboards.push(parseDashboard(f, readFileSync(join(dir, f), 'utf8')));
    } catch (e) {
      errors.push({ file: f, code: (e as { code?: string }).code ?? 'ISOTEL_ERR_DASHBOARD_INVALID', message: (e as Error).message });
    }
  }
  const seen = new Set<string>();
  for (const d of dashboards) {
    if (seen.has(d.uid)) errors.push({ file: d.file, code: 'ISOTEL_ERR_DASHBOARD_INVALID', message: `dashboards/${d.file}: uid ${d.uid} is used by another file` });
    seen.add(d.uid);
  }
  return { dashboards, errors };
}

// --- running queries --------------------------------------------------------------

/** What the viewer needs from the collector: run one read-only SQL statement. */
export type QueryFn = (sql: string) => Promise<{ meta: { name: string; type: string }[]; data: unknown[]; rows?: number; truncated?: boolean }>;


const NUMERIC = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/;
const TIME = /^(Nullable\()?(DateTime|Date)/;

/** Epoch ms of a ClickHouse DateTime text in the given IANA time zone. */
export function parseChTime(text: string, tz: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?)?$/.exec(text);
  if (!m) return Number.NaN;
  const asUtc = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), m[7] ? Math.floor(Number(m[7]) * 1000) : 0);
  if (tz === 'UTC' || tz === 'Etc/UTC') return asUtc;
  // Offset of tz at that instant, from Intl (no tz database of our own).
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(asUtc));
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value);
  const shown = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - (shown - asUtc);
}

function fieldType(chType: string): Field['type'] {
  if (TIME.test(chType)) return 'time';
  if (NUMERIC.test(chType)) return 'number';
  if (/^(Nullable\()?(LowCardinality\()?(String|FixedString|Enum)/.test(chType)) return 'string';
  return 'other';
}

/** Rows (objects or arrays, as JSON or JSONCompact give them) → typed columns. */
export function toFields(meta: { name: string; type: string }[], data: unknown[], serverTz: string): Field[] {
  return meta.map((col, i) => {
    const type = fieldType(col.type);
    const tz = /DateTime(?:64)?\((?:\d+,\s*)?'([^']+)'\)/.exec(col.type)?.[1] ?? serverTz;
    const values = data.map((row) => {
      const v = Array.isArray(row) ? row[i] : (row as Record<string, unknown>)[col.name];
      if (v === null || v === undefined) return null;
      if (type === 'number') return typeof v === 'number' ? v : Number(v);
      if (type === 'time') return typeof v === 'number' ? v * 1000 : parseChTime(String(v), tz);
      return v;
    });
    return { name: col.name, type, chType: col.type, values };
  });
}

export interface RunContext {
  range: TimeRange;
  variables: Record<string, VariableValue>;
  /** Width-derived point budget (Grafana's maxDataPoints); default 600. */
  maxDataPoints?: number;
}

export interface Runner {
  readonly query: QueryFn;
  /** IANA zone for DateTime columns without one (the server's `timezone()`). */
  serverTz(): Promise<string>;
}

export function createRunner(query: QueryFn): Runner {
  let tz: Promise<string> | undefined;
  return {
    query,
    serverTz: () =>
      (tz ??= query('SELECT timezone() AS tz')
        .then((r) => {
          const row = r.data[0];
          return String(Array.isArray(row) ? row[0] : (row as { tz: string }).tz) || 'UTC';
        })
        .catch(() => {
          tz = undefined; // retry next time
          return 'UTC';
        })),
  };
}

function variableSql(v: Variable): string | undefined {
  return typeof v.query === 'string' ? v.query : v.query?.rawSql;
}

export interface ResolvedVariable {
  name: string;
  label: string;
  multi: boolean;
  includeAll: boolean;
  options: string[];
  value: VariableValue;
  hidden: boolean;
}

/**
 * Resolves the dashboard's variables in order (later ones may use earlier ones): options
 * from their query, current value from the request if it is an option, else the saved
 * default, else All (if allowed) or the first option.
 */
export async function resolveVariables(runner: Runner, d: Dashboard, range: TimeRange, requested: Record<string, VariableValue | undefined>): Promise<ResolvedVariable[]> {
  const out: ResolvedVariable[] = [];
  const values: Record<string, VariableValue> = {};
  const options: Record<string, string[]> = {};
  for (const v of d.templating?.list ?? []) {
    if (v.type === 'datasource') continue; // one ClickHouse: the viewer's own
    let opts: string[] = [];
    if (v.type === 'query') {
      const sql = variableSql(v);
      if (!sql) throw new IsotelError('ISOTEL_ERR_DASHBOARD_INVALID', `dashboards/${d.file}: variable ${v.name} has no query`);
      const res = await runner.query(expandQuery(sql, { range, intervalMs: 60_000, variables: values, options }));
      opts = res.data.map((row) => String(Array.isArray(row) ? row[0] : Object.values(row as Record<string, unknown>)[0]));
    } else if (v.type === 'custom' || v.type === 'constant' || v.type === 'textbox') {
      opts = String(typeof v.query === 'string' ? v.query : '').split(',').map((s) => s.trim()).filter(Boolean);
    }
    const want = requested[v.name];
    const wantList = want === undefined ? [] : typeof want === 'string' ? [want] : [...want];
    let value: VariableValue;
    if (v.type === 'textbox' && typeof want === 'string') value = want;
    else if (wantList.length > 0 && v.includeAll && wantList.includes(ALL)) value = v.multi ? [ALL] : ALL;
    else if (wantList.length > 0 && wantList.every((w) => opts.includes(w))) value = v.multi ? wantList : wantList[0]!;
    else {
      const saved = v.current?.value;
      const savedList = saved === undefined ? [] : typeof saved === 'string' ? [saved] : [...saved];
      if (savedList.length > 0 && (savedList.every((s) => opts.includes(s)) || (v.includeAll && savedList.includes(ALL)))) value = v.multi ? savedList : savedList[0]!;
      else if (v.includeAll) value = v.multi ? [ALL] : ALL;
      else value = v.multi ? opts.slice(0, 1) : (opts[0] ?? '');
    }
    values[v.name] = value;
    options[v.name] = opts;
    out.push({ name: v.name, label: v.label ?? v.name, multi: v.multi === true, includeAll: v.includeAll === true, options: opts, value, hidden: (v.hide ?? 0) === 2 });
  }
  return out;
}

export function variableValues(vars: ResolvedVariable[]): { values: Record<string, VariableValue>; options: Record<string, string[]> } {
  return { values: Object.fromEntries(vars.map((v) => [v.name, v.value])), options: Object.fromEntries(vars.map((v) => [v.name, v.options])) };
}

/** The SQL of each target of a panel, as Grafana would send it. */
export function panelSql(panel: Panel, ctx: RunContext, options: Record<string, readonly string[]> = {}): { refId: string; sql: string; intervalMs: number }[] {
  const intervalMs = panelInterval(ctx.range, ctx.maxDataPoints ?? panel.maxDataPoints ?? 600, panel.interval);
  return (panel.targets ?? [])
    .filter((t) => !t.hide)
    .map((t) => ({ refId: t.refId, sql: expandQuery(t.rawSql, { range: ctx.range, intervalMs, variables: ctx.variables, options }), intervalMs }));
}

/** Runs every target of a panel. A failing target yields a frame with `error` (the panel shows it), never an exception. */
export async function runPanel(runner: Runner, panel: Panel, ctx: RunContext, options: Record<string, readonly string[]> = {}): Promise<{ intervalMs: number; frames: Frame[] }> {
  const tz = await runner.serverTz();
  let targets: { refId: string; sql: string; intervalMs: number }[];
  try {
    targets = panelSql(panel, ctx, options);
  } catch (e) {
    if (e instanceof MacroError) return { intervalMs: 0, frames: [{ refId: 'A', sql: '', fields: [], rows: 0, elapsedMs: 0, error: { code: 'ISOTEL_ERR_DASHBOARD_MACRO', message: e.message } }] };
    throw e;
  }
  const frames = await Promise.all(
    targets.map(async ({ refId, sql }): Promise<Frame> => {
      const started = performance.now();
      try {
        const r = await runner.query(sql);
        return { refId, sql, fields: toFields(r.meta, r.data, tz), rows: r.data.length, elapsedMs: Math.round(performance.now() - started), ...(r.truncated ? { truncated: true } : {}) };
      } catch (e) {
        const err = e as { code?: unknown; message?: string };
        return { refId, sql, fields: [], rows: 0, elapsedMs: Math.round(performance.now() - started), error: { code: typeof err.code === 'string' ? err.code : 'ISOTEL_ERR_QUERY_FAILED', message: String(err.message ?? e) } };
      }
    }),
  );
  return { intervalMs: targets[0]?.intervalMs ?? 0, frames };
}
