/**
 * The built-in viewer's server side: a plugin on the collector's viewer port
 * (collector/query/api.ts `ViewerPlugin`). It serves the browser app and ECharts from
 * disk (no CDN), and a small JSON API that runs the dashboards' own SQL through the
 * collector's read-only query path:
 *
 *   GET  /                                   → /viewer/
 *   GET  /viewer/…                           the app (index.html, app/*.js, styles, vendor/echarts)
 *   GET  /api/dashboards                     {dashboards: [{uid, title, description, tags}], errors: [{file, code, message}]}
 *   GET  /api/dashboards/:uid                the dashboard JSON (as Grafana imports it)
 *   POST /api/dashboards/:uid/variables      {from, to, vars} → resolved variables
 *   POST /api/dashboards/:uid/panels/:id     {from, to, vars, maxDataPoints} → {intervalMs, frames}
 *   GET  /api/traces?from&to&function&minMs&errors&sort&limit   invocation (root) spans
 *   GET  /api/traces/:traceId                spans (with events) and logs of one trace
 *   GET  /api/tail?since&function&limit      invocations and log lines since a time (isotel tail)
 *
 * Times are epoch ms or Grafana's `now-6h` form. Bad input is a 400 naming the parameter.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IsotelError } from '../../common/errors.js';
import { ATTR, RESOURCE } from '../../sdk/protocol/names.js';
import { allPanels, createRunner, DASHBOARD_DIR, loadDashboardsTolerant, resolveVariables, runPanel, variableValues, type Dashboard, type QueryFn, type Runner } from './dashboards.js';
import { MacroError, parseTime, sqlQuote, type TimeRange, type VariableValue } from './macros.js';

/** What the collector hands each plugin (collector/query/api.ts ViewerContext). */
export interface ViewerQueryContext {
  query(sql: string, format?: 'JSONEachRow' | 'JSONCompactEachRow'): Promise<{ meta: { name: string; type: string }[]; data: unknown[]; rows: number; truncated?: boolean; elapsedMs?: number }>;
}
export type ViewerRequestHandler = (req: IncomingMessage, res: ServerResponse, ctx: ViewerQueryContext) => Promise<boolean>;

const here = dirname(fileURLToPath(import.meta.url));
const inDist = here.includes(`${sep}dist${sep}`);
/** Built JS of the app (dist/dashboards/viewer/app) and its static files (dashboards/viewer/app in the source tree). */
const APP_JS = join(here, 'app');
const APP_STATIC = inDist ? join(here, '../../../dashboards/viewer/app') : join(here, 'app');
const ECHARTS = join(dirname(createRequire(import.meta.url).resolve('echarts/package.json')), 'dist/echarts.esm.min.mjs');

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.map': 'application/json' };

function badRequest(message: string): IsotelError {
  return new IsotelError('ISOTEL_ERR_VIEWER_BAD_REQUEST', message);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

function sendFile(res: ServerResponse, file: string): void {
  res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': statSync(file).size, 'Cache-Control': 'no-cache' });
  createReadStream(file).pipe(res);
}

async function readBody(req: IncomingMessage, limit = 256 * 1024): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit) throw badRequest(`request body over ${limit} bytes`);
    chunks.push(c);
  }
  if (size === 0) return {};
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw badRequest(`request body is not a JSON object: ${(e as Error).message}`);
  }
}

export function parseRange(from: unknown, to: unknown, now = Date.now()): TimeRange {
  const f = parseTimeParam('from', from ?? 'now-6h', now, false);
  const t = parseTimeParam('to', to ?? 'now', now, true);
  if (!(f < t)) throw badRequest(`"from" (${new Date(f).toISOString()}) must be before "to" (${new Date(t).toISOString()})`);
  return { from: f, to: t };
}

function parseTimeParam(name: string, v: unknown, now: number, isEnd: boolean): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v !== 'string') throw badRequest(`"${name}" must be epoch milliseconds or a time like now-6h`);
  try {
    return parseTime(v, now, isEnd);
  } catch (e) {
    throw badRequest(`"${name}": ${(e as Error).message}`);
  }
}

function parseVars(v: unknown): Record<string, VariableValue | undefined> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest('"vars" must be an object of name → string or string[]');
  const out: Record<string, VariableValue> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (typeof val === 'string') out[k] = val;
    else if (Array.isArray(val) && val.every((x) => typeof x === 'string')) out[k] = val as string[];
    else throw badRequest(`variable "${k}" must be a string or an array of strings`);
  }
  return out;
}

function intParam(name: string, raw: string | null, def: number, min: number, max: number): number {
  if (raw === null || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw badRequest(`"${name}" must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  return n;
}

function numParam(name: string, raw: string | null, min: number): number | undefined {
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw badRequest(`"${name}" must be a number ≥ ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

const sec = (ms: number): number => Math.floor(ms / 1000);
const nsFromMs = (ms: number): string => (BigInt(Math.floor(ms)) * 1_000_000n).toString();

function rowsOf(r: { meta: { name: string }[]; data: unknown[] }): Record<string, unknown>[] {
  return r.data.map((row) => (Array.isArray(row) ? Object.fromEntries(r.meta.map((m, i) => [m.name, row[i]])) : (row as Record<string, unknown>)));
}

function findDashboard(dir: string, uid: string): Dashboard {
  const d = loadDashboardsTolerant(dir).dashboards.find((x) => x.uid === uid);
  if (!d) throw new IsotelError('ISOTEL_ERR_DASHBOARD_NOT_FOUND', `no dashboard with uid ${JSON.stringify(uid)}`);
  return d;
}

/** Invocation (root SERVER) spans in a range, for the trace list. */
export function traceListSql(o: { range: TimeRange; fn?: string; minMs?: number; errors?: boolean; sort: 'slowest' | 'recent'; limit: number }): string {
  const where = [`SpanKind = 'Server'`, `ParentSpanId = ''`, `Timestamp >= toDateTime(${sec(o.range.from)})`, `Timestamp <= toDateTime(${sec(o.range.to)})`];
  if (o.fn) where.push(`ServiceName = ${sqlQuote(o.fn)}`);
  if (o.minMs !== undefined) where.push(`Duration >= ${Math.round(o.minMs * 1e6)}`);
  if (o.errors) where.push(`StatusCode IN ('Error', 'STATUS_CODE_ERROR')`);
  return `SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS start_ns, TraceId AS trace_id, ServiceName AS function, SpanName AS name,
  ResourceAttributes['${RESOURCE.faasVersion}'] AS version, Duration AS duration_ns, StatusCode AS status,
  SpanAttributes['${ATTR.faasColdstart}'] = 'true' AS cold, SpanAttributes['${ATTR.httpResponseStatusCode}'] AS http_status,
  SpanAttributes['${ATTR.httpRequestMethod}'] AS method, SpanAttributes['${ATTR.urlPath}'] AS path
FROM otel_traces WHERE ${where.join(' AND ')}
ORDER BY ${o.sort === 'slowest' ? 'Duration DESC' : 'Timestamp DESC'} LIMIT ${o.limit}`;
}

/** Every span of a trace (window from otel_traces_trace_id_ts, as Grafana's trace view does). */
export function traceSql(traceId: string): string {
  return `WITH ${sqlQuote(traceId)} AS trace_id,
  (SELECT min(Start) FROM otel_traces_trace_id_ts WHERE TraceId = trace_id) AS trace_start,
  (SELECT max(End) + 1 FROM otel_traces_trace_id_ts WHERE TraceId = trace_id) AS trace_end
SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS start_ns, SpanId AS span_id, ParentSpanId AS parent_span_id, ServiceName AS service,
  SpanName AS name, SpanKind AS kind, Duration AS duration_ns, StatusCode AS status, StatusMessage AS status_message, ScopeName AS scope,
  SpanAttributes AS attributes, ResourceAttributes AS resource,
  arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Timestamp) AS event_ns, Events.Name AS event_names, Events.Attributes AS event_attributes
FROM otel_traces WHERE TraceId = trace_id AND Timestamp >= trace_start AND Timestamp <= trace_end
ORDER BY Timestamp ASC LIMIT 5000`;
}

export function traceLogsSql(traceId: string): string {
  return `WITH ${sqlQuote(traceId)} AS trace_id,
  (SELECT min(Start) FROM otel_traces_trace_id_ts WHERE TraceId = trace_id) AS trace_start,
  (SELECT max(End) + 1 FROM otel_traces_trace_id_ts WHERE TraceId = trace_id) AS trace_end
SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS time_ns, SeverityText AS level, SeverityNumber AS severity, ServiceName AS service, Body AS body, SpanId AS span_id, LogAttributes AS attributes
FROM otel_logs WHERE TraceId = trace_id AND Timestamp >= trace_start - INTERVAL 1 MINUTE AND Timestamp <= trace_end + INTERVAL 1 MINUTE
ORDER BY Timestamp ASC LIMIT 2000`;
}

/** Invocations and log lines at or after `sinceMs` (the tail client de-duplicates by id). */
export function tailSql(sinceMs: number, fn: string | undefined, limit: number): { invocations: string; logs: string } {
  const f = fn ? ` AND ServiceName = ${sqlQuote(fn)}` : '';
  return {
    invocations: `SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS time_ns, SpanId AS id, TraceId AS trace_id, ServiceName AS function,
  ResourceAttributes['${RESOURCE.faasVersion}'] AS version, Duration AS duration_ns, StatusCode AS status,
  SpanAttributes['${ATTR.httpResponseStatusCode}'] AS http_status, SpanAttributes['${ATTR.faasColdstart}'] = 'true' AS cold,
  SpanAttributes['${ATTR.httpRequestMethod}'] AS method, SpanAttributes['${ATTR.urlPath}'] AS path, SpanAttributes['${ATTR.errorCode}'] AS error_code
FROM otel_traces WHERE SpanKind = 'Server' AND ParentSpanId = '' AND Timestamp >= fromUnixTimestamp64Nano(toInt64(${nsFromMs(sinceMs)}))${f}
ORDER BY Timestamp ASC LIMIT ${limit}`,
    logs: `SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS time_ns, toString(cityHash64(Timestamp, SpanId, Body)) AS id, TraceId AS trace_id, ServiceName AS function,
  ResourceAttributes['${RESOURCE.faasVersion}'] AS version, SeverityText AS level, Body AS body
FROM otel_logs WHERE Timestamp >= fromUnixTimestamp64Nano(toInt64(${nsFromMs(sinceMs)}))${f}
ORDER BY Timestamp ASC LIMIT ${limit}`,
  };
}

/** Runner over the collector's query context; the server's time zone is asked once. */
function runnerFor(ctx: ViewerQueryContext, cache: WeakMap<object, Runner>): Runner {
  let r = cache.get(ctx);
  if (!r) {
    const q: QueryFn = (sql) => ctx.query(sql, 'JSONCompactEachRow');
    r = createRunner(q);
    cache.set(ctx, r);
  }
  return r;
}

/**
 * The viewer plugin. Register it on the collector's viewer port:
 *   handle.registerViewerPlugin(createViewerPlugin())
 */
export function createViewerPlugin(options: { dashboardDir?: string } = {}): ViewerRequestHandler {
  const dir = options.dashboardDir ?? DASHBOARD_DIR;
  const runners = new WeakMap<object, Runner>();
  return async (req, res, ctx) => {
    const url = new URL(req.url ?? '/', 'http://viewer');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    try {
      if ((path === '/' || path === '/viewer') && method === 'GET') {
        res.writeHead(302, { Location: '/viewer/' });
        res.end();
        return true;
      }
      if (path.startsWith('/viewer/') && (method === 'GET' || method === 'HEAD')) return serveStatic(path, res);
      if (!path.startsWith('/api/dashboards') && !path.startsWith('/api/traces') && path !== '/api/tail') return false;
      const runner = runnerFor(ctx, runners);
      const body = method === 'POST' ? await readBody(req) : {};
      const result = await route(method, path, url.searchParams, body, runner, ctx, dir);
      if (result === undefined) return false;
      sendJson(res, 200, result);
    } catch (e) {
      const err = e instanceof IsotelError ? e : e instanceof MacroError ? new IsotelError('ISOTEL_ERR_DASHBOARD_MACRO', e.message) : new IsotelError('ISOTEL_ERR_INTERNAL', (e as Error)?.message ?? String(e), { cause: e });
      if (res.headersSent) res.destroy();
      else sendJson(res, err.status, err.toJSON());
    }
    return true;
  };
}

function serveStatic(path: string, res: ServerResponse): boolean {
  let rel = path.slice('/viewer/'.length) || 'index.html';
  if (rel === 'vendor/echarts.js') {
    sendFile(res, ECHARTS);
    return true;
  }
  rel = normalize(rel);
  if (rel.startsWith('..') || rel.includes(`..${sep}`)) throw badRequest(`bad path ${path}`);
  // Compiled scripts come from dist, everything else from the source tree.
  const candidates = rel.endsWith('.js') || rel.endsWith('.js.map') ? [join(APP_JS, rel)] : [join(APP_STATIC, rel)];
  for (const f of candidates) {
    if (existsSync(f) && statSync(f).isFile()) {
      sendFile(res, f);
      return true;
    }
  }
  // Client-side routes (#/…) all load index.html.
  if (!extname(rel)) {
    sendFile(res, join(APP_STATIC, 'index.html'));
    return true;
  }
  sendJson(res, 404, { error: { code: 'ISOTEL_ERR_VIEWER_BAD_REQUEST', message: `no file ${path}`, hint: 'The viewer lives at /viewer/.' } });
  return true;
}

async function route(method: string, path: string, qs: URLSearchParams, body: Record<string, unknown>, runner: Runner, ctx: ViewerQueryContext, dir: string): Promise<unknown> {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent); // ['api', 'dashboards', uid, ...]
  if (parts[1] === 'dashboards') {
    if (parts.length === 2 && method === 'GET') {
      // A broken file is listed as an error; the other dashboards keep working.
      const { dashboards, errors } = loadDashboardsTolerant(dir);
      return { dashboards: dashboards.map((d) => ({ uid: d.uid, title: d.title, description: d.description ?? '', tags: d.tags ?? [], file: d.file })), errors };
    }
    const d = findDashboard(dir, parts[2] ?? '');
    if (parts.length === 3 && method === 'GET') {
      const { file: _file, ...json } = d;
      return json;
    }
    if (parts.length === 4 && parts[3] === 'variables' && method === 'POST') {
      return { variables: await resolveVariables(runner, d, parseRange(body.from, body.to), parseVars(body.vars)) };
    }
    if (parts.length === 5 && parts[3] === 'panels' && method === 'POST') {
      const id = Number(parts[4]);
      const panel = allPanels(d).find((p) => p.id === id);
      if (!panel) throw new IsotelError('ISOTEL_ERR_DASHBOARD_NOT_FOUND', `dashboard ${d.uid} has no panel ${JSON.stringify(parts[4])}`);
      const range = parseRange(body.from, body.to);
      const maxDataPoints = body.maxDataPoints === undefined ? undefined : Number(body.maxDataPoints);
      if (maxDataPoints !== undefined && (!Number.isInteger(maxDataPoints) || maxDataPoints < 1 || maxDataPoints > 10_000)) throw badRequest('"maxDataPoints" must be an integer in [1, 10000]');
      // Variables are resolved server-side too: a stale or forged value falls back to a valid one.
      const vars = await resolveVariables(runner, d, range, parseVars(body.vars));
      const { values, options } = variableValues(vars);
      return { range, ...(await runPanel(runner, panel, { range, variables: values, ...(maxDataPoints ? { maxDataPoints } : {}) }, options)) };
    }
    return undefined;
  }
  if (parts[1] === 'traces' && method === 'GET') {
    if (parts.length === 2) {
      const range = parseRange(qs.get('from') ?? 'now-1h', qs.get('to') ?? 'now');
      const sort = qs.get('sort') ?? 'slowest';
      if (sort !== 'slowest' && sort !== 'recent') throw badRequest('"sort" is slowest or recent');
      const fn = qs.get('function') || undefined;
      const minMs = numParam('minMs', qs.get('minMs'), 0);
      const sql = traceListSql({ range, sort, limit: intParam('limit', qs.get('limit'), 100, 1, 1000), errors: qs.get('errors') === 'true', ...(fn ? { fn } : {}), ...(minMs !== undefined ? { minMs } : {}) });
      const r = await ctx.query(sql, 'JSONEachRow');
      return { traces: rowsOf(r).map((t) => ({ ...t, duration_ns: Number(t.duration_ns), cold: Boolean(t.cold) })) };
    }
    if (parts.length === 3) {
      const id = parts[2]!;
      if (!/^[0-9a-f]{32}$/.test(id)) throw badRequest(`trace id ${JSON.stringify(id)} is not 32 lowercase hex characters`);
      const [spans, logs] = await Promise.all([ctx.query(traceSql(id), 'JSONEachRow'), ctx.query(traceLogsSql(id), 'JSONEachRow')]);
      if (spans.data.length === 0) throw new IsotelError('ISOTEL_ERR_DASHBOARD_NOT_FOUND', `no spans for trace ${id} (not ingested yet, or expired)`);
      return {
        traceId: id,
        spans: rowsOf(spans).map((s) => ({
          ...s,
          duration_ns: Number(s.duration_ns),
          events: ((s.event_ns as string[]) ?? []).map((t, i) => ({ time_ns: t, name: (s.event_names as string[])[i], attributes: (s.event_attributes as Record<string, string>[])[i] })),
          event_ns: undefined,
          event_names: undefined,
          event_attributes: undefined,
        })),
        logs: rowsOf(logs),
        truncated: spans.truncated === true,
      };
    }
    return undefined;
  }
  if (path === '/api/tail' && method === 'GET') {
    const since = parseTimeParam('since', /^\d+$/.test(qs.get('since') ?? '') ? Number(qs.get('since')) : (qs.get('since') ?? 'now-1m'), Date.now(), false);
    const fn = qs.get('function') || undefined;
    const limit = intParam('limit', qs.get('limit'), 500, 1, 5000);
    const sql = tailSql(since, fn, limit);
    const [inv, logs] = await Promise.all([ctx.query(sql.invocations, 'JSONEachRow'), ctx.query(sql.logs, 'JSONEachRow')]);
    return {
      now: Date.now(),
      invocations: rowsOf(inv).map((r) => ({ ...r, duration_ns: Number(r.duration_ns), cold: Boolean(r.cold) })),
      logs: rowsOf(logs),
    };
  }
  return undefined;
}
