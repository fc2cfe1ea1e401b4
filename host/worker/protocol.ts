/**
 * Messages between the gateway process and its isolate worker processes (Node IPC,
 * `serialization: 'advanced'`, so bytes travel as Uint8Array without base64).
 *
 * A request is `req` (head, and the whole body when it is small and already
 * buffered), then `req-chunk`* and `req-end` when the body streams. The response is
 * `res-head` (with the whole body when the function built it from bytes or a
 * string), or `res-head` + pull-driven `res-chunk`s: the gateway sends `res-pull`
 * whenever its socket wants more, so a slow client slows the function's stream
 * instead of filling memory. Streamed request bodies flow the same way: the worker
 * sends `req-pull` when the function reads, the gateway answers with one chunk.
 */
import { IsotelError } from '../../common/errors.js';
import type { HeaderList } from '../isolate/api.js';

/** The body-limit errors, the same whether the gateway or the worker (an internal call) enforces them. */
export function requestTooLarge(fn: string, maxRequestBytes: number): IsotelError {
  return new IsotelError('ISOTEL_ERR_LIMIT_REQUEST_BODY', `the request body is larger than ${fn}'s limit of ${maxRequestBytes} bytes`, { details: { maxRequestBytes } });
}
export function responseTooLarge(fn: string, maxResponseBytes: number): IsotelError {
  return new IsotelError('ISOTEL_ERR_LIMIT_RESPONSE_BODY', `${fn}'s response body is larger than its limit of ${maxResponseBytes} bytes`, { details: { maxResponseBytes } });
}

/** Per-function limits, enforced by the worker (see host/registry/limits.ts for defaults and ranges). */
export interface FunctionLimits {
  /** Isolate heap limit, MiB. */
  readonly memoryLimitMb: number;
  /** CPU time one invocation may use, ms. */
  readonly cpuMs: number;
  /** Wall time one invocation may take until its response is complete (awaiting included), ms. */
  readonly wallMs: number;
  readonly maxRequestBytes: number;
  readonly maxResponseBytes: number;
  /** Invocations one instance serves at once. */
  readonly concurrency: number;
  /** Instances of the function one worker keeps at most. */
  readonly maxInstances: number;
}

export type GatewayMessage =
  | { t: 'deploy'; seq: number; name: string; version: string; source: string; format: 'script' | 'module'; sourceMap: string | undefined; filename: string; limits: FunctionLimits; env: Record<string, string>; egress?: { allow: readonly string[]; subrequestLimit?: number } | undefined }
  | { t: 'undeploy'; name: string; version: string }
  | { t: 'req'; id: number; fn: string; version: string; method: string; url: string; headers: HeaderList; body: Uint8Array | null; streaming: boolean; startUnixNano: string; maxResponseBytes: number }
  | { t: 'req-chunk'; id: number; chunk: Uint8Array }
  | { t: 'req-end'; id: number }
  | { t: 'req-abort'; id: number }
  | { t: 'res-pull'; id: number }
  | { t: 'flush'; seq: number }
  | { t: 'stats'; seq: number };

export interface SerializedError {
  readonly error: { code: string; message: string } & Record<string, unknown>;
}

export type WorkerMessage =
  | { t: 'ready'; pid: number }
  | { t: 'deploy-result'; seq: number; ok: true; codeCacheBytes: number; loadMs: number }
  | { t: 'deploy-result'; seq: number; ok: false; error: SerializedError }
  | { t: 'res-head'; id: number; status: number; statusText: string; headers: HeaderList; body: Uint8Array | null; streaming: boolean }
  | { t: 'req-pull'; id: number }
  | { t: 'res-chunk'; id: number; chunk: Uint8Array }
  | { t: 'res-end'; id: number }
  | { t: 'res-error'; id: number; error: SerializedError }
  | { t: 'flushed'; seq: number }
  | { t: 'stats-result'; seq: number; stats: WorkerStats };

export interface WorkerStats {
  readonly pid: number;
  readonly rssBytes: number;
  readonly instances: number;
  readonly functions: number;
  readonly poolSize: number;
  readonly poolMisses: number;
  readonly evictions: number;
  readonly scaledToZero: number;
  readonly syncInvocations: number;
  readonly compactions: number;
}

/** Messages of the request path: they travel as frames on the data channel (channel.ts), the rest over Node IPC. */
export const DATA_MESSAGES: ReadonlySet<string> = new Set(['req', 'req-chunk', 'req-end', 'req-abort', 'res-pull', 'req-pull', 'res-head', 'res-chunk', 'res-end', 'res-error']);

/** The worker's file descriptor of the data channel (stdio index). */
export const DATA_CHANNEL_FD = 4;

/** Bodies up to this size travel inside the `req` message itself. */
export const INLINE_BODY_LIMIT = 64 * 1024;
