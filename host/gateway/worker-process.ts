/**
 * The gateway's handle on one isolate worker process: starts it (with
 * --no-node-snapshot), restarts it when it dies, replays the deploys it owns, and
 * multiplexes requests over its IPC channel. Requests in flight when a worker dies
 * fail with ISOTEL_ERR_WORKER_UNAVAILABLE (503); the other workers never notice.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { errorFromJSON, IsotelError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { Socket } from 'node:net';
import { FrameChannel } from '../worker/channel.js';
import { DATA_MESSAGES, type GatewayMessage, type WorkerMessage, type WorkerStats } from '../worker/protocol.js';

const WORKER_MAIN = fileURLToPath(new URL('../worker/main.js', import.meta.url));

export interface PendingRequest {
  onHead(m: Extract<WorkerMessage, { t: 'res-head' }>): void;
  onChunk(chunk: Uint8Array): void;
  onEnd(): void;
  onError(error: IsotelError): void;
  onPullBody(): void;
}

type Deploy = Extract<GatewayMessage, { t: 'deploy' }>;

export class WorkerProcess extends EventEmitter {
  readonly index: number;
  readonly #env: NodeJS.ProcessEnv;
  readonly #log: Logger;
  #child: ChildProcess | undefined;
  #data: FrameChannel<WorkerMessage, GatewayMessage> | undefined;
  #ready: Promise<void> | undefined;
  #seq = 0;
  readonly #calls = new Map<number, (m: WorkerMessage) => void>();
  readonly requests = new Map<number, PendingRequest>();
  /** Deploys this worker must hold: replayed into a restarted process. */
  readonly #deploys = new Map<string, Deploy>();
  #stopping = false;
  #restarts = 0;

  constructor(index: number, env: NodeJS.ProcessEnv, log: Logger) {
    super();
    this.index = index;
    this.#env = env;
    this.#log = log.child(`worker-${index}`);
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  start(): Promise<void> {
    const child = fork(WORKER_MAIN, [], {
      execArgv: ['--no-node-snapshot', '--enable-source-maps'],
      env: { ...this.#env, ISOTEL_WORKER_INDEX: String(this.index) },
      serialization: 'advanced',
      // fd 4: the data channel of the request path (a socket pair).
      stdio: ['ignore', 'inherit', 'inherit', 'ipc', 'pipe'],
    });
    this.#child = child;
    this.#data = new FrameChannel<WorkerMessage, GatewayMessage>(child.stdio[4] as Socket, (m) => this.#dispatch(m));
    this.#ready = new Promise((resolve, reject) => {
      const onMessage = (m: WorkerMessage): void => {
        if (m.t === 'ready') {
          resolve();
          return;
        }
        this.#dispatch(m);
      };
      child.on('message', onMessage);
      child.once('exit', (code, signal) => {
        reject(new IsotelError('ISOTEL_ERR_PROCESS_EXITED', `worker ${this.index} exited during start (code ${code}, signal ${signal})`));
        this.#onExit(child, code, signal);
      });
    });
    return this.#ready;
  }

  #dispatch(m: WorkerMessage): void {
    switch (m.t) {
      case 'deploy-result':
      case 'flushed':
      case 'stats-result': {
        const cb = this.#calls.get(m.seq);
        this.#calls.delete(m.seq);
        cb?.(m);
        break;
      }
      case 'res-head':
        this.requests.get(m.id)?.onHead(m);
        if (!m.streaming) this.requests.delete(m.id);
        break;
      case 'res-chunk':
        this.requests.get(m.id)?.onChunk(m.chunk);
        break;
      case 'res-end':
        this.requests.get(m.id)?.onEnd();
        this.requests.delete(m.id);
        break;
      case 'res-error':
        this.requests.get(m.id)?.onError(errorFromJSON(m.error));
        this.requests.delete(m.id);
        break;
      case 'req-pull':
        this.requests.get(m.id)?.onPullBody();
        break;
      case 'ready':
        break;
    }
  }

  #onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#child !== child) return;
    this.#child = undefined;
    const lost = new IsotelError('ISOTEL_ERR_WORKER_UNAVAILABLE', `worker process ${this.index} exited (code ${code}, signal ${signal}) while handling this request`);
    for (const r of this.requests.values()) r.onError(lost);
    this.requests.clear();
    for (const cb of this.#calls.values()) cb({ t: 'deploy-result', seq: -1, ok: false, error: lost.toJSON() });
    this.#calls.clear();
    if (this.#stopping) return;
    this.#restarts++;
    const delay = Math.min(5000, 100 * 2 ** Math.min(this.#restarts - 1, 6));
    this.#log.error('worker process exited; restarting', { code, signal, restartInMs: delay });
    this.emit('exit', { code, signal });
    setTimeout(() => {
      if (this.#stopping) return;
      this.start().then(
        async () => {
          for (const d of this.#deploys.values()) {
            const r = await this.#call({ ...d, seq: 0 });
            if (r.t === 'deploy-result' && !r.ok) this.#log.error('redeploy after restart failed', { function: d.name, error: r.error.error.message });
          }
          this.#restarts = 0;
          this.emit('restarted');
        },
        (e: unknown) => this.#log.error('worker restart failed', { error: e instanceof Error ? e.message : String(e) }),
      );
    }, delay).unref();
  }

  send(message: GatewayMessage): boolean {
    const child = this.#child;
    if (!child?.connected) return false;
    if (DATA_MESSAGES.has(message.t)) return this.#data?.send(message) ?? false;
    child.send(message);
    return true;
  }

  #call(message: Extract<GatewayMessage, { seq: number }>): Promise<WorkerMessage> {
    return new Promise((resolve) => {
      const seq = ++this.#seq;
      this.#calls.set(seq, resolve);
      if (!this.send({ ...message, seq } as GatewayMessage)) {
        this.#calls.delete(seq);
        resolve({ t: 'deploy-result', seq, ok: false, error: new IsotelError('ISOTEL_ERR_WORKER_UNAVAILABLE', `worker ${this.index} is not running`).toJSON() });
      }
    });
  }

  async deploy(d: Omit<Deploy, 't' | 'seq'>): Promise<{ codeCacheBytes: number; loadMs: number }> {
    await this.#ready;
    const message: Deploy = { t: 'deploy', seq: 0, ...d };
    const r = await this.#call(message);
    if (r.t !== 'deploy-result') throw new IsotelError('ISOTEL_ERR_INTERNAL', `unexpected worker reply ${r.t}`);
    if (!r.ok) throw errorFromJSON(r.error);
    const previous = this.#deploys.get(d.name);
    this.#deploys.set(d.name, message);
    if (previous && previous.version !== d.version) this.undeploy(previous.name, previous.version, false);
    return { codeCacheBytes: r.codeCacheBytes, loadMs: r.loadMs };
  }

  undeploy(name: string, version: string, forget = true): void {
    if (forget && this.#deploys.get(name)?.version === version) this.#deploys.delete(name);
    this.send({ t: 'undeploy', name, version });
  }

  async flush(timeoutMs = 5000): Promise<void> {
    await Promise.race([this.#call({ t: 'flush', seq: 0 }), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  async stats(): Promise<WorkerStats | undefined> {
    const r = await Promise.race([this.#call({ t: 'stats', seq: 0 }), new Promise<undefined>((r) => setTimeout(() => r(undefined), 2000).unref())]);
    return r?.t === 'stats-result' ? r.stats : undefined;
  }

  /** Flushes telemetry and stops the process. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const child = this.#child;
    if (!child) return;
    await this.flush().catch(() => {});
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}
