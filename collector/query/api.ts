/**
 * The viewer port: the read-only query API (POST /api/query), the collector's
 * Prometheus metrics (GET /metrics), a health check, and whatever the built-in viewer
 * registers (registerViewerPlugin).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { IsotelError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { QueryResult } from '../clickhouse/engine.js';

export type QueryFormat = 'JSONEachRow' | 'JSONCompactEachRow';

export interface ViewerContext {
  /** Runs a read-only query with the API's limits. */
  query(sql: string, format?: QueryFormat): Promise<QueryResult>;
}

/** Handles a request and returns true, or returns false to let the next handler try. */
export type ViewerPlugin = (req: IncomingMessage, res: ServerResponse, ctx: ViewerContext) => boolean | Promise<boolean>;

const MAX_REQUEST = 1024 * 1024;

export class ViewerServer {
  private server: Server | undefined;
  private readonly plugins: ViewerPlugin[] = [];

  constructor(
    private readonly ctx: ViewerContext,
    private readonly metrics: () => string,
    private readonly log: Logger,
  ) {}

  register(plugin: ViewerPlugin): void {
    this.plugins.push(plugin);
  }

  async listen(bind: string, port: number): Promise<number> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => sendError(res, e, this.log));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, bind, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as { port: number }).port;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/api/query') {
      if (req.method !== 'POST') throw new IsotelError('ISOTEL_ERR_QUERY_BAD_REQUEST', `${req.method} /api/query: use POST with a JSON body`);
      const body = await readJson(req);
      const sql = (body as { sql?: unknown }).sql;
      const format = (body as { format?: unknown }).format ?? 'JSONEachRow';
      if (typeof sql !== 'string') throw new IsotelError('ISOTEL_ERR_QUERY_BAD_REQUEST', 'the body needs a string field "sql"');
      if (format !== 'JSONEachRow' && format !== 'JSONCompactEachRow') throw new IsotelError('ISOTEL_ERR_QUERY_BAD_REQUEST', `format ${JSON.stringify(format)} is not JSONEachRow or JSONCompactEachRow`);
      const r = await this.ctx.query(sql, format);
      sendJson(res, 200, r);
      return;
    }
    if (path === '/metrics' && req.method === 'GET') {
      const text = this.metrics();
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    if (path === '/healthz') {
      sendJson(res, 200, { status: 'ok' });
      return;
    }
    for (const p of this.plugins) if (await p(req, res, this.ctx)) return;
    sendJson(res, 404, { error: { code: 'ISOTEL_ERR_QUERY_BAD_REQUEST', message: `nothing at ${req.method} ${path}`, hint: 'The viewer port serves POST /api/query, GET /metrics and the viewer.' } });
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_REQUEST) {
        req.destroy();
        reject(new IsotelError('ISOTEL_ERR_QUERY_BAD_REQUEST', `the request body is over ${MAX_REQUEST} bytes`));
      } else chunks.push(c);
    });
    req.on('end', () => {
      try {
        const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
        resolve(v);
      } catch (e) {
        reject(new IsotelError('ISOTEL_ERR_QUERY_BAD_REQUEST', `the request body is not a JSON object: ${(e as Error).message}`));
      }
    });
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, e: unknown, log: Logger): void {
  const err = e instanceof IsotelError ? e : new IsotelError('ISOTEL_ERR_INTERNAL', (e as Error)?.message ?? String(e), { cause: e });
  if (!err.userFault) log.warn('query API request failed', { code: err.code, error: err });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, err.status, err.toJSON());
}
