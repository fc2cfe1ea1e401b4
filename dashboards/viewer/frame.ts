/**
 * A panel query's result as the viewer's API returns it, shared by the server
 * (dashboards.ts) and the browser app (app/api.ts). No imports: the app compiles it for the browser.
 */
export interface Field {
  name: string;
  /** 'time' (epoch ms), 'number', 'string' or 'other'. */
  type: 'time' | 'number' | 'string' | 'other';
  chType: string;
  values: unknown[];
}

export interface Frame {
  refId: string;
  sql: string;
  fields: Field[];
  rows: number;
  elapsedMs: number;
  /** The query API's row limit cut the result. */
  truncated?: boolean;
  error?: { code: string; message: string };
}
