/** The viewer's JSON API (dashboards/viewer/server.ts). */

import type { Frame } from '../frame.js';
export type { Field, Frame } from '../frame.js';

export interface ResolvedVariable {
  name: string;
  label: string;
  multi: boolean;
  includeAll: boolean;
  options: string[];
  value: string | string[];
  hidden: boolean;
}
export interface Target {
  refId: string;
  rawSql: string;
}
export interface Override {
  matcher: { id: string; options: string };
  properties: { id: string; value: unknown }[];
}
export interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Target[];
  fieldConfig?: { defaults?: { unit?: string; decimals?: number; custom?: Record<string, unknown>; thresholds?: { steps: { color: string; value: number | null }[] } }; overrides?: Override[] };
  options?: Record<string, unknown>;
  panels?: Panel[];
}
export interface Dashboard {
  uid: string;
  title: string;
  description?: string;
  time?: { from: string; to: string };
  refresh?: string;
  panels: Panel[];
}
export interface DashboardSummary {
  uid: string;
  title: string;
  description: string;
  tags: string[];
}
export interface TraceRow {
  start_ns: string;
  trace_id: string;
  function: string;
  name: string;
  version: string;
  duration_ns: number;
  status: string;
  cold: boolean;
  http_status: string;
  method: string;
  path: string;
}
export interface Span {
  start_ns: string;
  span_id: string;
  parent_span_id: string;
  service: string;
  name: string;
  kind: string;
  duration_ns: number;
  status: string;
  status_message: string;
  scope: string;
  attributes: Record<string, string>;
  resource: Record<string, string>;
  events: { time_ns: string; name: string; attributes: Record<string, string> }[];
}
export interface LogRow {
  time_ns: string;
  level: string;
  service: string;
  body: string;
  span_id: string;
  attributes: Record<string, string>;
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function call<T>(path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const init: RequestInit = body === undefined ? { signal: signal ?? null } : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal: signal ?? null };
  const res = await fetch(path, init);
  const json = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!res.ok) throw new ApiError(json.error?.message ?? `${res.status} ${res.statusText}`, json.error?.code ?? 'HTTP_' + res.status, res.status);
  return json as T;
}

export interface RangeVars {
  from: string | number;
  to: string | number;
  vars: Record<string, string | string[]>;
}

export const api = {
  dashboards: () => call<{ dashboards: DashboardSummary[]; errors: { file: string; code: string; message: string }[] }>('/api/dashboards'),
  dashboard: (uid: string) => call<Dashboard>(`/api/dashboards/${encodeURIComponent(uid)}`),
  variables: (uid: string, b: RangeVars) => call<{ variables: ResolvedVariable[] }>(`/api/dashboards/${encodeURIComponent(uid)}/variables`, b),
  panel: (uid: string, id: number, b: RangeVars & { maxDataPoints: number }, signal?: AbortSignal) => call<{ intervalMs: number; frames: Frame[]; range: { from: number; to: number } }>(`/api/dashboards/${encodeURIComponent(uid)}/panels/${id}`, b, signal),
  traces: (q: Record<string, string>) => call<{ traces: TraceRow[] }>(`/api/traces?${new URLSearchParams(q)}`),
  trace: (id: string) => call<{ traceId: string; spans: Span[]; logs: LogRow[]; truncated: boolean }>(`/api/traces/${id}`),
};
