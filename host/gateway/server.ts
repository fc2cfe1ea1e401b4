/**
 * The gateway: the HTTP front of the host. Routes `/<function>/<rest>` to the
 * worker process that owns the function and streams the response back.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { IsotelError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { unixNanoNow } from '../../common/time.js';
import type { FunctionRegistry } from '../registry/registry.js';
import { INLINE_BODY_LIMIT, requestTooLarge, type WorkerMessage } from '../worker/protocol.js';
import type { WorkerProcess } from './worker-process.js';

/** Headers that describe one hop's connection, not the message. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

export interface GatewayOptions {
  readonly registry: FunctionRegistry;
  readonly workers: readonly WorkerProcess[];
  readonly log: Logger;
  /** The admin API, registered under /_isotel/ with its own (JSON) body parsing. */
  readonly admin?: (app: FastifyInstance) => Promise<void>;
}

export function workerFor(name: string, workers: readonly WorkerProcess[]): WorkerProcess {
  // FNV-1a: stable sharding of functions across worker processes.
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return workers[(h >>> 0) % workers.length]!;
}

function sendError(reply: FastifyReply, error: IsotelError): FastifyReply {
  return reply.code(error.status).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(error.toJSON()));
}

let requestSeq = 0;

export function createGateway(options: GatewayOptions): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: false,
    // Requests fastify refuses before routing (a malformed URL, a bad content type) still get isotel's JSON errors.
    frameworkErrors: (error, req, reply) => {
      const bad = new IsotelError('ISOTEL_ERR_FUNCTION_NOT_FOUND', `${error.message} (${req.method} ${String(req.url).slice(0, 200)})`);
      const r = reply as unknown as FastifyReply;
      void r.code(error.statusCode && error.statusCode < 500 ? error.statusCode : 400).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(bad.toJSON()));
    },
  });
  app.get('/_isotel/health', async () => ({ status: 'ok', functions: options.registry.list().length }));
  if (options.admin) void app.register(options.admin, { prefix: '/_isotel' });

  const invoke = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const startUnixNano = unixNanoNow();
    const url = req.raw.url ?? '/';
    const end = url.indexOf('/', 1);
    const q = url.indexOf('?');
    const segment = url.slice(1, end === -1 ? (q === -1 ? url.length : q) : q !== -1 && q < end ? q : end);
    let name: string;
    try {
      name = decodeURIComponent(segment);
    } catch {
      return sendError(reply, new IsotelError('ISOTEL_ERR_FUNCTION_NOT_FOUND', `malformed function name in the URL: ${JSON.stringify(segment.slice(0, 100))}`));
    }
    const fv = name ? options.registry.get(name) : undefined;
    if (!fv) {
      return sendError(reply, new IsotelError('ISOTEL_ERR_FUNCTION_NOT_FOUND', name ? `no function named ${JSON.stringify(name)} is deployed` : 'no function in the URL: use /<function>/<path>', { details: { function: name } }));
    }
    const worker = workerFor(fv.name, options.workers);
    const id = ++requestSeq;
    const raw = req.raw.rawHeaders;
    const headers: [string, string][] = [];
    for (let i = 0; i < raw.length; i += 2) headers.push([raw[i]!, raw[i + 1]!]);
    const fullUrl = `http://${req.headers.host ?? 'localhost'}${url}`;

    const length = Number(req.headers['content-length'] ?? NaN);
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD' && (req.headers['transfer-encoding'] !== undefined || length > 0);
    const maxRequestBytes = fv.limits.maxRequestBytes;
    const tooLarge = (): IsotelError => requestTooLarge(fv.name, maxRequestBytes);
    if (length > maxRequestBytes) {
      reply.header('connection', 'close');
      return sendError(reply, tooLarge());
    }
    let inline: Uint8Array | null = null;
    let streaming = false;
    if (hasBody && length <= INLINE_BODY_LIMIT) {
      const chunks: Buffer[] = [];
      for await (const c of req.raw) chunks.push(c as Buffer);
      inline = Buffer.concat(chunks);
    } else if (hasBody) {
      streaming = true;
    }

    return new Promise<FastifyReply>((resolve) => {
      let bodyIterator: AsyncIterator<Buffer> | undefined;
      let received = 0;
      let stream: Readable | undefined;
      // The client went away while the worker still owes us part of the response.
      reply.raw.once('close', () => {
        if (worker.requests.delete(id)) worker.send({ t: 'req-abort', id });
      });
      worker.requests.set(id, {
        onHead: (m: Extract<WorkerMessage, { t: 'res-head' }>) => {
          if (!m.streaming) {
            // The common case, written straight to the socket: fastify's reply pipeline
            // (hooks, serialisers) has nothing to add to a response the function built.
            const body = m.body === null ? undefined : Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength);
            const flat: string[] = [];
            let hasLength = false;
            for (const [k, v] of m.headers) {
              const lower = k.toLowerCase();
              if (HOP_BY_HOP.has(lower)) continue;
              if (lower === 'content-length') hasLength = true;
              flat.push(k, v);
            }
            if (!hasLength) flat.push('content-length', String(body?.length ?? 0));
            reply.hijack();
            const res = reply.raw;
            try {
              res.writeHead(m.status, m.statusText || undefined, flat);
            } catch (e) {
              // A hijacked reply cannot go back through fastify: answer on the socket directly.
              const error = new IsotelError('ISOTEL_ERR_HANDLER_BAD_RESPONSE', `the function's response cannot be sent: ${(e as Error).message}`);
              res.writeHead(error.status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(error.toJSON()));
              resolve(reply);
              return;
            }
            res.end(req.method === 'HEAD' ? undefined : body);
            resolve(reply);
            return;
          }
          reply.code(m.status);
          for (const [k, v] of m.headers) if (!HOP_BY_HOP.has(k.toLowerCase())) reply.header(k, v);
          // Pull-driven: Node asks for more only when the socket can take it.
          stream = new Readable({ read: () => void worker.send({ t: 'res-pull', id }) });
          resolve(reply.send(stream));
        },
        onChunk: (chunk) => stream?.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
        onEnd: () => stream?.push(null),
        onError: (error) => {
          if (stream) stream.destroy(error);
          else resolve(sendError(reply, error));
        },
        onPullBody: () => {
          bodyIterator ??= (req.raw as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
          bodyIterator.next().then(
            (r) => {
              if (!r.done) {
                received += r.value.byteLength;
                if (received > maxRequestBytes) {
                  // Stop the invocation; the client gets 413 unless the response already started.
                  worker.requests.delete(id);
                  worker.send({ t: 'req-abort', id });
                  reply.header('connection', 'close');
                  if (stream) stream.destroy(tooLarge());
                  else resolve(sendError(reply, tooLarge()));
                  return;
                }
              }
              worker.send(r.done ? { t: 'req-end', id } : { t: 'req-chunk', id, chunk: r.value });
            },
            () => worker.send({ t: 'req-end', id }),
          );
        },
      });
      const sent = worker.send({ t: 'req', id, fn: fv.name, version: fv.version, method: req.method, url: fullUrl, headers, body: inline, streaming, startUnixNano: String(startUnixNano), maxResponseBytes: fv.limits.maxResponseBytes });
      if (!sent) {
        worker.requests.delete(id);
        resolve(sendError(reply, new IsotelError('ISOTEL_ERR_WORKER_UNAVAILABLE', `the worker process for ${fv.name} is restarting`)));
      }
    });
  };

  void app.register(async (fns) => {
    // Bodies are not parsed here: they stream through to the function untouched
    // (size limits are the function's, enforced while streaming).
    fns.removeAllContentTypeParsers();
    fns.addContentTypeParser('*', { bodyLimit: Number.MAX_SAFE_INTEGER }, (_req, _payload, done) => done(null));
    fns.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'], url: '/*', handler: invoke });
    fns.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'], url: '/', handler: invoke });
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, new IsotelError('ISOTEL_ERR_FUNCTION_NOT_FOUND', `no route for ${req.method} ${req.url}`)));
  app.setErrorHandler((error, _req, reply) => {
    if (error instanceof IsotelError) return sendError(reply, error);
    options.log.error('gateway error', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    return sendError(reply, new IsotelError('ISOTEL_ERR_INTERNAL', error instanceof Error ? error.message : String(error)));
  });
  return app;
}
