/**
 * `isotel query`: through the running collector's query API when one answers (the
 * embedded engine belongs to the collector process); otherwise straight to ClickHouse
 * — the server at ISOTEL_CLICKHOUSE_URL, or the embedded engine under the data dir
 * when no collector holds it. Same read-only rules either way.
 */
import { errorFromJSON, IsotelError } from '../../common/errors.js';
import { createLogger } from '../../common/log.js';
import { Engine } from '../clickhouse/engine.js';
import type { CollectorConfig } from '../config.js';
import { readCollectorInfo } from '../lock.js';
import { runReadOnly } from './readonly.js';

export interface QueryOutput {
  meta: { name: string; type: string }[];
  data: Record<string, unknown>[];
  rows: number;
  truncated?: boolean;
  elapsedMs?: number;
}

async function viaApi(url: string, sql: string): Promise<QueryOutput | undefined> {
  let res: Response;
  try {
    res = await fetch(`${url}/api/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql }), signal: AbortSignal.timeout(120_000) });
  } catch {
    return undefined; // nothing listening
  }
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) throw errorFromJSON(body);
  return body as QueryOutput;
}

export async function query(sql: string, opts: { config: CollectorConfig; format?: 'table' | 'json' }): Promise<QueryOutput> {
  const c = opts.config;
  const info = readCollectorInfo(c.dataDir);
  const host = (b: string) => (b === '0.0.0.0' || b === '' ? '127.0.0.1' : b.includes(':') ? `[${b}]` : b);
  const urls = new Set<string>();
  if (info && info.ports.viewer > 0) urls.add(`http://${host(info.bind)}:${info.ports.viewer}`);
  if (c.viewerPort > 0) urls.add(`http://${host(c.bind)}:${c.viewerPort}`);
  for (const u of urls) {
    const r = await viaApi(u, sql);
    if (r) return r;
  }
  if (!c.clickhouseUrl && info && info.pid !== process.pid) {
    throw new IsotelError('ISOTEL_ERR_CLICKHOUSE_UNAVAILABLE', `collector pid ${info.pid} holds ${c.dataDir} but its query API does not answer`);
  }
  const engine = await Engine.open(c, createLogger('query', 'warn'));
  try {
    const r = await runReadOnly(engine, sql, 'JSONEachRow', { timeoutMs: c.queryTimeoutMs, maxRows: c.queryMaxRows });
    return { ...r, data: r.data as Record<string, unknown>[] };
  } finally {
    await engine.close();
  }
}

/** A plain-text table: header, rule, rows; long cells cut at 60 characters. */
export function formatTable(result: { meta: { name: string }[]; data: unknown[]; truncated?: boolean }): string {
  const names = result.meta.map((m) => m.name);
  const cell = (v: unknown): string => {
    const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    const one = s.replace(/\s+/g, ' ');
    return one.length > 60 ? `${one.slice(0, 59)}…` : one;
  };
  const rows = result.data.map((r) => (Array.isArray(r) ? r.map(cell) : names.map((n) => cell((r as Record<string, unknown>)[n]))));
  const widths = names.map((n, i) => Math.max(n.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line(names), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  out.push(`(${rows.length} row${rows.length === 1 ? '' : 's'}${result.truncated ? ', truncated' : ''})`);
  return out.join('\n');
}
