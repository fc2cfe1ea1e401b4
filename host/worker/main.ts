/**
 * An isolate worker process: holds the pre-initialised isolate pool and the
 * function instances of the functions sharded to it, and serves the gateway's
 * requests over IPC. A V8 crash (isolated-vm's memory limit is not a hard
 * guarantee) takes down only this process; the gateway restarts it.
 *
 * Run with `node --no-node-snapshot` (isolated-vm's requirement).
 */
import { resolveConfig } from '../../common/config.js';
import { Abort, type AbortSignalLike } from '../../common/abort.js';
import { IsotelError } from '../../common/errors.js';
import { createLogger, type LogLevel } from '../../common/log.js';
import { commonSchema } from '../../common/settings.js';
import { Readable } from 'node:stream';
import { request as undiciRequest, type Dispatcher } from 'undici';
import { unixNanoNow } from '../../common/time.js';
import type { ConsoleRecord, InvokeRequest, InvokeResponse, SandboxOptions } from '../isolate/api.js';
import { createSandbox } from '../isolate/sandbox.js';
import { hostSchema } from '../config.js';
import { IsolatePool } from '../pool/isolate-pool.js';
import { InstanceManager } from '../pool/instances.js';
import { startWorkerTelemetry } from '../telemetry/worker-telemetry.js';
import { Socket } from 'node:net';
import { FrameChannel } from './channel.js';
import { DATA_CHANNEL_FD, DATA_MESSAGES, requestTooLarge, responseTooLarge, type GatewayMessage, type SerializedError, type WorkerMessage } from './protocol.js';

const common = resolveConfig(commonSchema);
const host = resolveConfig(hostSchema);
const workerId = process.env.ISOTEL_WORKER_INDEX ?? '0';
const log = createLogger(`worker-${workerId}`, common.logLevel as LogLevel);

if (!process.send) {
  log.error('the worker must be started by the host gateway (it talks over an IPC channel)');
  process.exit(2);
}

const data = new FrameChannel<GatewayMessage, WorkerMessage>(new Socket({ fd: DATA_CHANNEL_FD, readable: true, writable: true }), (m) => onMessage(m));

function send(message: WorkerMessage): void {
  if (DATA_MESSAGES.has(message.t)) data.send(message);
  else process.send!(message);
}

const telemetry = host.telemetry ? startWorkerTelemetry({ common, host, workerId, log }) : undefined;
const consoleLog = log.child('console');
// Function console output: always to the host's stderr, and (issue 5) exported as OTel log records.
const onConsole = (record: ConsoleRecord): void => {
  const line = record.message;
  if (record.severityNumber >= 17) consoleLog.error(line, { invocation: record.invocationId });
  else if (record.severityNumber >= 13) consoleLog.warn(line, { invocation: record.invocationId });
  else if (record.severityNumber >= 9) consoleLog.info(line, { invocation: record.invocationId });
  else consoleLog.debug(line, { invocation: record.invocationId });
  telemetry?.onConsole(record);
};
// fetch() from a function to the host's own gateway (one function calling another): a function that lives in
// this worker is invoked here, with no network hop; one on another worker goes to the gateway over loopback (the
// egress policy denies loopback to functions). Known when the gateway port is fixed or a public URL is set.
const gatewayOrigin = host.publicUrl ? new URL(host.publicUrl).origin : common.gatewayPort ? `http://${common.bind.includes(':') ? `[${common.bind}]` : common.bind}:${common.gatewayPort}` : '';
/** The current version of each function this worker serves (deploys and rollbacks arrive as deploy messages). */
const currentVersion = new Map<string, string>();
let internalSeq = 0;
/** Call depth of internal invocations (a function calling itself must not recurse forever). */
const internalDepth = new Map<string, number>();
const MAX_CALL_DEPTH = 16;

function jsonError(error: IsotelError): InvokeResponse {
  return { status: error.status, statusText: '', headers: [['content-type', 'application/json; charset=utf-8']], body: new TextEncoder().encode(JSON.stringify(error.toJSON())) };
}

/** Passes a body stream through, failing it with `error()` once more than `max` bytes went by. */
async function* capped(body: AsyncIterable<Uint8Array>, max: number, error: () => IsotelError): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > max) throw error();
    yield chunk;
  }
}

async function invokeHere(fn: string, version: string, request: InvokeRequest, callerId: string | undefined): Promise<InvokeResponse> {
  const depth = (callerId ? (internalDepth.get(callerId) ?? 0) : 0) + 1;
  if (depth > MAX_CALL_DEPTH) return jsonError(new IsotelError('ISOTEL_ERR_FUNCTION_OVERLOADED', `function calls nested deeper than ${MAX_CALL_DEPTH} (${fn} calling itself?)`));
  // The callee's body limits hold as they do through the gateway.
  const limits = instances.limitsOf(version);
  /** Set when a streamed request body ran past the callee's limit: the answer is then 413, as from the gateway. */
  let requestPastLimit: IsotelError | undefined;
  if (limits) {
    const tooLarge = (): IsotelError => (requestPastLimit = requestTooLarge(fn, limits.maxRequestBytes));
    const body = request.body;
    if (body instanceof Uint8Array && body.byteLength > limits.maxRequestBytes) return jsonError(tooLarge());
    if (body !== null && !(body instanceof Uint8Array)) request = { ...request, body: capped(body, limits.maxRequestBytes, tooLarge) };
  }
  const invocationId = `${workerId}-i${++internalSeq}`;
  internalDepth.set(invocationId, depth);
  try {
    const { response, done: finish } = await instances.invoke(fn, version, invocationId, request, unixNanoNow());
    const done = (error?: IsotelError): void => {
      internalDepth.delete(invocationId);
      finish(error);
    };
    if (requestPastLimit) {
      done(requestPastLimit);
      return jsonError(requestPastLimit);
    }
    const body = response.body;
    const maxResponseBytes = limits?.maxResponseBytes ?? Infinity;
    if (body === null || body instanceof Uint8Array) {
      if (body && body.byteLength > maxResponseBytes) {
        const error = responseTooLarge(fn, maxResponseBytes);
        done(error);
        return jsonError(error);
      }
      done();
      return response;
    }
    // done() once the caller has read (or dropped) the body, so limits and telemetry see the whole invocation.
    async function* tracked(): AsyncGenerator<Uint8Array> {
      let failed: IsotelError | undefined;
      try {
        yield* capped(body as AsyncIterable<Uint8Array>, maxResponseBytes, () => responseTooLarge(fn, maxResponseBytes));
      } catch (e) {
        if (e instanceof IsotelError) failed = e;
        throw e;
      } finally {
        done(failed);
      }
    }
    return { ...response, body: tracked() };
  } catch (e) {
    internalDepth.delete(invocationId);
    // A handler that failed because its request body ran past the limit answers 413, as through the gateway.
    return jsonError(requestPastLimit ?? (e instanceof IsotelError ? e : new IsotelError('ISOTEL_ERR_INTERNAL', e instanceof Error ? e.message : String(e))));
  }
}

const dispatchInternal: SandboxOptions['dispatchInternal'] = gatewayOrigin
  ? async (request, context) => {
      const url = new URL(request.url);
      if (url.origin !== gatewayOrigin) return undefined;
      let fn = '';
      try {
        fn = decodeURIComponent(url.pathname.split('/')[1] ?? '');
      } catch {
        /* not a function name: let the gateway answer */
      }
      const version = currentVersion.get(fn);
      if (version) return invokeHere(fn, version, request, context.invocationId);
      const flat: string[] = [];
      for (const [n, v] of request.headers) flat.push(n, v);
      const body = request.body === null || request.body instanceof Uint8Array ? request.body : Readable.from(request.body);
      const res = await undiciRequest(request.url, { method: request.method as Dispatcher.HttpMethod, headers: flat, body });
      const headers: Array<[string, string]> = [];
      for (const [n, v] of Object.entries(res.headers)) for (const x of Array.isArray(v) ? v : [v ?? '']) headers.push([n, x]);
      return { status: res.statusCode, statusText: '', headers, body: res.body };
    }
  : undefined;
const pool = new IsolatePool(createSandbox, { memoryLimitMb: host.memoryLimitMb, size: host.poolSize, log, onConsole, ...(dispatchInternal ? { dispatchInternal } : {}) });
const instances = new InstanceManager({
  pool,
  create: createSandbox,
  sandboxOptions: { onConsole, ...(dispatchInternal ? { dispatchInternal } : {}) },
  log,
  idleMs: host.idleMs,
  syncMaxCpuMs: host.syncMaxCpuMs,
  memoryBudgetBytes: Math.floor((host.memoryBudgetMb * 1024 * 1024) / host.workers),
});
telemetry?.observe(() => ({ instances, pool }));

function serialize(e: unknown): SerializedError {
  if (e instanceof IsotelError) return e.toJSON();
  log.error('internal error', { error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  return new IsotelError('ISOTEL_ERR_INTERNAL', e instanceof Error ? e.message : String(e)).toJSON();
}

/** A streamed request body: each read asks the gateway for one more chunk. */
class PulledBody implements AsyncIterable<Uint8Array> {
  readonly #id: number;
  #waiting: ((r: IteratorResult<Uint8Array>) => void) | undefined;
  #ended = false;
  constructor(id: number) {
    this.#id = id;
  }
  push(chunk: Uint8Array | null): void {
    const w = this.#waiting;
    this.#waiting = undefined;
    if (chunk === null) this.#ended = true;
    w?.(chunk === null ? { done: true, value: undefined } : { done: false, value: chunk });
  }
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: () => {
        if (this.#ended) return Promise.resolve({ done: true, value: undefined });
        return new Promise((resolve) => {
          this.#waiting = resolve;
          send({ t: 'req-pull', id: this.#id });
        });
      },
    };
  }
}

interface Active {
  body?: PulledBody;
  abort: Abort;
  iterator?: AsyncIterator<Uint8Array>;
  done?: (error?: IsotelError) => void;
  /** Rejects (with the limit's error) when a limit ends the invocation mid-stream. */
  limitHit?: Promise<never>;
  remaining?: number;
  fn?: string;
  maxResponseBytes?: number;
}


function aborted(signal: AbortSignalLike): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
const active = new Map<number, Active>();

async function handleRequest(m: Extract<GatewayMessage, { t: 'req' }>): Promise<void> {
  const entry: Active = { abort: new Abort() };
  active.set(m.id, entry);
  if (m.streaming) entry.body = new PulledBody(m.id);
  const request: InvokeRequest = { method: m.method, url: m.url, headers: m.headers, body: entry.body ?? m.body };
  try {
    const { response, done, signal } = await instances.invoke(m.fn, m.version, `${workerId}-${m.id}-${Date.now().toString(36)}`, request, BigInt(m.startUnixNano), entry.abort.signal);
    const body = response.body;
    if (body === null || body instanceof Uint8Array) {
      active.delete(m.id);
      if (body && body.byteLength > m.maxResponseBytes) {
        const error = responseTooLarge(m.fn, m.maxResponseBytes);
        done(error);
        send({ t: 'res-error', id: m.id, error: serialize(error) });
        return;
      }
      send({ t: 'res-head', id: m.id, status: response.status, statusText: response.statusText, headers: response.headers, body, streaming: false });
      done();
    } else {
      entry.iterator = body[Symbol.asyncIterator]();
      entry.done = done;
      entry.limitHit = aborted(signal);
      entry.limitHit.catch(() => {});
      entry.remaining = m.maxResponseBytes;
      entry.fn = m.fn;
      entry.maxResponseBytes = m.maxResponseBytes;
      send({ t: 'res-head', id: m.id, status: response.status, statusText: response.statusText, headers: response.headers, body: null, streaming: true });
    }
  } catch (e) {
    active.delete(m.id);
    send({ t: 'res-error', id: m.id, error: serialize(e) });
  }
}

async function pullResponse(id: number): Promise<void> {
  const entry = active.get(id);
  if (!entry?.iterator) return;
  try {
    const r = await (entry.limitHit ? Promise.race([entry.iterator.next(), entry.limitHit]) : entry.iterator.next());
    if (r.done) {
      active.delete(id);
      send({ t: 'res-end', id });
      entry.done?.();
    } else {
      entry.remaining = (entry.remaining ?? Infinity) - r.value.byteLength;
      if (entry.remaining < 0) {
        void entry.iterator.return?.();
        throw responseTooLarge(entry.fn ?? 'the function', entry.maxResponseBytes ?? 0);
      }
      send({ t: 'res-chunk', id, chunk: r.value });
    }
  } catch (e) {
    active.delete(id);
    const error = e instanceof IsotelError ? e : new IsotelError('ISOTEL_ERR_HANDLER_THREW', e instanceof Error ? e.message : String(e));
    entry.done?.(error);
    send({ t: 'res-error', id, error: serialize(error) });
  }
}

process.on('message', (raw: unknown) => onMessage(raw as GatewayMessage));

function onMessage(m: GatewayMessage): void {
  switch (m.t) {
    case 'req':
      void handleRequest(m);
      break;
    case 'req-chunk':
      active.get(m.id)?.body?.push(m.chunk);
      break;
    case 'req-end':
      active.get(m.id)?.body?.push(null);
      break;
    case 'req-abort': {
      const entry = active.get(m.id);
      if (entry) {
        active.delete(m.id);
        entry.abort.abort();
        entry.body?.push(null);
        void entry.iterator?.return?.();
        entry.done?.(new IsotelError('ISOTEL_ERR_CLIENT_CLOSED', 'the client closed the connection before the response was complete'));
      }
      break;
    }
    case 'res-pull':
      void pullResponse(m.id);
      break;
    case 'deploy':
      instances.deploy({ name: m.name, version: m.version, source: m.source, format: m.format, sourceMap: m.sourceMap, filename: m.filename, limits: m.limits, env: m.env, egress: m.egress }).then(
        (r) => {
          currentVersion.set(m.name, m.version);
          send({ t: 'deploy-result', seq: m.seq, ok: true, ...r });
        },
        (e: unknown) => send({ t: 'deploy-result', seq: m.seq, ok: false, error: serialize(e) }),
      );
      break;
    case 'undeploy':
      if (currentVersion.get(m.name) === m.version) currentVersion.delete(m.name);
      instances.undeploy(m.version);
      break;
    case 'flush':
      (telemetry ? telemetry.flush() : Promise.resolve()).then(
        () => send({ t: 'flushed', seq: m.seq }),
        (e: unknown) => {
          log.warn('telemetry flush failed', { error: e instanceof Error ? e.message : String(e) });
          send({ t: 'flushed', seq: m.seq });
        },
      );
      break;
    case 'stats':
      send({ t: 'stats-result', seq: m.seq, stats: { pid: process.pid, rssBytes: process.memoryUsage.rss(), instances: instances.residentInstances, functions: instances.deployedVersions, poolSize: pool.size, poolMisses: pool.misses, evictions: instances.evictions, scaledToZero: instances.scaledToZero, syncInvocations: instances.syncInvocations, compactions: instances.compactions } });
      break;
  }
}

// The gateway going away (IPC closed) means this worker has nothing left to serve.
process.on('disconnect', () => void shutdown());

let shuttingDown = false;
async function shutdown(): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  instances.close();
  pool.close();
  try {
    await telemetry?.shutdown();
  } finally {
    process.exit(0);
  }
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => {
  /* the gateway decides when workers stop */
});

await pool.fill();
send({ t: 'ready', pid: process.pid });
