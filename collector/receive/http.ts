/**
 * OTLP/HTTP receiver: POST /v1/traces, /v1/metrics, /v1/logs; protobuf or JSON;
 * gzip/deflate. Answers as the OTLP specification says: 200 (+ partial_success),
 * 400 undecodable, 413 over the body limit, 415 unknown content type or encoding,
 * 429/503 with Retry-After when over capacity or closing. Error bodies are
 * google.rpc.Status in the request's encoding.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import protobuf from 'protobufjs';
import { IsotelError, isErrorCode } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { encodeResponse, type Signal } from '../decode/otlp.js';
import type { Pipeline } from './pipeline.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

const PATHS: Record<string, Signal> = { '/v1/traces': 'traces', '/v1/metrics': 'metrics', '/v1/logs': 'logs' };

// google.rpc.Status, the error body OTLP/HTTP prescribes.
const Status = new protobuf.Type('Status').add(new protobuf.Field('code', 1, 'int32')).add(new protobuf.Field('message', 2, 'string'));
// gRPC status codes matching the HTTP answers.
const GRPC_CODE: Record<number, number> = { 400: 3, 404: 12, 413: 8, 415: 3, 429: 8, 503: 14, 500: 13 };

function mediaType(req: IncomingMessage): 'protobuf' | 'json' | null {
  const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (ct === 'application/x-protobuf' || ct === 'application/protobuf') return 'protobuf';
  if (ct === 'application/json') return 'json';
  return null;
}

export interface HttpReceiverOptions {
  bind: string;
  port: number;
  maxBodyBytes: number;
  retryAfterSeconds: () => number;
}

export class HttpReceiver {
  private server: Server | undefined;

  constructor(
    private readonly pipeline: Pipeline,
    private readonly o: HttpReceiverOptions,
    private readonly log: Logger,
  ) {}

  async listen(): Promise<number> {
    const server = createServer({ requestTimeout: 60_000, keepAliveTimeout: 65_000 }, (req, res) => {
      this.handle(req, res).catch((e: unknown) => this.fail(res, e, mediaType(req) === 'json'));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.bind, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as { port: number }).port;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const signal = PATHS[url.split('?')[0]!];
    if (!signal) {
      req.resume();
      throw new IsotelError('ISOTEL_ERR_OTLP_NOT_FOUND', `no OTLP endpoint at ${req.method} ${url}`);
    }
    if (req.method !== 'POST') {
      req.resume();
      res.setHeader('Allow', 'POST');
      throw new IsotelError('ISOTEL_ERR_OTLP_NOT_FOUND', `${req.method} ${url}: OTLP endpoints take POST`);
    }
    const type = mediaType(req);
    const json = type === 'json';
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (!type || !['gzip', 'deflate', 'identity', 'none', ''].includes(encoding)) {
      req.resume();
      throw new IsotelError('ISOTEL_ERR_OTLP_UNSUPPORTED_MEDIA', `unsupported ${type ? `Content-Encoding ${JSON.stringify(encoding)}` : `Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')}`} on ${url}`);
    }
    const limit = this.o.maxBodyBytes;
    const declared = Number(req.headers['content-length'] ?? -1);
    if (declared > limit) {
      res.setHeader('Connection', 'close');
      throw new IsotelError('ISOTEL_ERR_OTLP_TOO_LARGE', `request body of ${declared} bytes is over the ${limit}-byte limit`);
    }
    let body = await readBody(req, limit);
    if (encoding === 'gzip' || encoding === 'deflate') {
      try {
        body = await (encoding === 'gzip' ? gunzipAsync : inflateAsync)(body, { maxOutputLength: limit });
      } catch (e) {
        if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new IsotelError('ISOTEL_ERR_OTLP_TOO_LARGE', `decompressed body is over the ${limit}-byte limit`);
        throw new IsotelError('ISOTEL_ERR_OTLP_UNDECODABLE', `cannot ${encoding}-decompress the body: ${(e as Error).message}`);
      }
    }
    const r = await this.pipeline.ingest(signal, body, json);
    const out = encodeResponse(signal, r.rejected, r.rejected > 0 ? `rejected ${r.message}` : '', json);
    res.writeHead(200, { 'Content-Type': json ? 'application/json' : 'application/x-protobuf', 'Content-Length': out.length });
    res.end(out);
  }

  private fail(res: ServerResponse, e: unknown, json: boolean): void {
    const err = e instanceof IsotelError ? e : new IsotelError('ISOTEL_ERR_INTERNAL', (e as Error)?.message ?? String(e), { cause: e });
    if (err.status >= 500 && err.code === 'ISOTEL_ERR_INTERNAL') this.log.error('OTLP request failed', { error: err });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const headers: Record<string, string | number> = {};
    if (err.status === 429 || err.status === 503) headers['Retry-After'] = String((err.details?.retryAfterSeconds as number | undefined) ?? this.o.retryAfterSeconds());
    const status = isErrorCode(err.code) ? err.status : 500;
    const message = `${err.code}: ${err.message}`;
    const body = json
      ? Buffer.from(JSON.stringify({ code: GRPC_CODE[status] ?? 2, message }))
      : Buffer.from(Status.encode(Status.fromObject({ code: GRPC_CODE[status] ?? 2, message })).finish());
    headers['Content-Type'] = json ? 'application/json' : 'application/x-protobuf';
    headers['Content-Length'] = body.length;
    res.writeHead(status, headers);
    res.end(body);
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeIdleConnections();
    });
  }
}

/** Reads the body, refusing (413) once it passes `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new IsotelError('ISOTEL_ERR_OTLP_TOO_LARGE', `request body is over the ${limit}-byte limit`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}
