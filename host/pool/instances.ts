/**
 * Function instances: a function version loaded into an isolate, kept warm and
 * reused. A request for a version with no instance that has room is a cold start:
 * acquire a pre-initialised isolate → compile the function (with the version's V8
 * code cache) → evaluate its top level → dispatch. Each phase is timed and published
 * so a regression can be pinned to it.
 *
 * Instances scale out under load (up to `limits.maxInstances`, each serving up to
 * `limits.concurrency` invocations), scale to zero when idle, and the least recently
 * used idle ones are evicted when the worker's memory budget is reached. Per
 * invocation the wall-time and CPU-time limits are enforced here (isolated-vm's own
 * timeout covers only synchronous execution): a breach ends that invocation with a
 * clear error, and disposes the isolate when it is still spinning.
 */
import { readFileSync } from 'node:fs';
import { Abort, type AbortSignalLike } from '../../common/abort.js';
import { IsotelError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { CreateSandbox, EgressPolicy, InvokeRequest, InvokeResponse, Sandbox, SandboxOptions } from '../isolate/api.js';
import type { FunctionLimits } from '../worker/protocol.js';
import { channels, type ColdStartPhases, type InstanceEvent, type InstanceInfo, type InvocationEvent } from './events.js';
import type { IsolatePool } from './isolate-pool.js';
import { SourceMapper } from '../registry/sourcemap.js';

export interface DeployedVersion {
  readonly name: string;
  readonly version: string;
  readonly filename: string;
  readonly source: string;
  readonly format: 'script' | 'module';
  readonly sourceMap: string | undefined;
  readonly limits: FunctionLimits;
  readonly env: Readonly<Record<string, string>>;
  readonly egress?: EgressPolicy | undefined;
  /** V8 code cache for `source`, produced once per version. */
  cachedData: Uint8Array | undefined;
  /** Made on the first error, from sourceMap. */
  mapper?: SourceMapper | undefined;
  /** The code cache was re-made after a first invocation, with the functions it compiled lazily. */
  warmCache?: boolean;
}

/** The error with its locations and stack mapped back to the author's sources. */
function authorLocations(v: DeployedVersion, e: IsotelError): IsotelError {
  if (!v.sourceMap) return e;
  try {
    v.mapper ??= new SourceMapper(v.filename, v.sourceMap);
    return v.mapper.error(e);
  } catch {
    return e;
  }
}

type InstanceState = 'warm' | 'draining' | 'disposed';
type DisposeReason = NonNullable<InstanceEvent['reason']>;

export class Instance {
  readonly info: InstanceInfo;
  readonly sandbox: Sandbox;
  state: InstanceState = 'warm';
  inflight = 0;
  invocations = 0;
  lastUsed = Date.now();
  /** Heap bytes (used + external) at the last sample; feeds the memory budget. */
  heapBytes = 0;
  /** Compaction queued or done since its last invocation (see InstanceManager: idle compaction). */
  compacted = false;

  constructor(info: InstanceInfo, sandbox: Sandbox) {
    this.info = info;
    this.sandbox = sandbox;
  }

  /** Re-reads heapBytes from the isolate; never rejects (a disposed isolate keeps the last figure). */
  refreshHeap(): Promise<void> {
    return this.sandbox.heapStatistics().then((h) => void (this.heapBytes = h.usedHeapSize + h.externalSize), () => {});
  }

  dispose(reason: DisposeReason): void {
    if (this.state === 'disposed') return;
    this.state = 'disposed';
    this.sandbox.dispose();
    if (channels.instanceDispose.hasSubscribers) channels.instanceDispose.publish({ instance: this.info, reason } satisfies InstanceEvent);
  }
}

export interface InvocationResult {
  readonly response: InvokeResponse;
  readonly event: InvocationEvent;
  /** Aborted when a limit ends the invocation while its body still streams. */
  readonly signal: AbortSignalLike;
  /** Call when the response body has been fully delivered (or abandoned). */
  readonly done: (error?: IsotelError) => void;
}

interface VersionState {
  readonly deployed: DeployedVersion;
  readonly instances: Instance[];
  /** Cold starts under way. */
  readonly starts: Set<Promise<{ instance: Instance; phases: ColdStartPhases }>>;
  /** Requests waiting for one of those starts to finish. */
  awaitingStart: number;
  /** Requests waiting for room in an instance (bounded). */
  readonly waiters: (() => void)[];
  retired: boolean;
  /** Cold starts may load synchronously (the top level took under half the CPU limit at deploy). */
  syncLoad: boolean;
}

interface Running {
  readonly instance: Instance;
  readonly cpuBefore: bigint;
  readonly cpuLimitNs: bigint;
  readonly fail: (e: IsotelError) => void;
}

export interface InstanceManagerOptions {
  readonly pool: IsolatePool;
  readonly create: CreateSandbox;
  readonly sandboxOptions: Omit<SandboxOptions, 'memoryLimitMb'>;
  readonly log: Logger;
  readonly idleMs: number;
  /**
   * Versions whose CPU limit is at most this (ms) run synchronously on the worker's thread: their cold start
   * when the top level was quick at deploy, and their invocations. 0 or absent: never.
   */
  readonly syncMaxCpuMs?: number;
  /** Heap budget of this worker's instances, bytes. */
  readonly memoryBudgetBytes: number;
}

const MAX_WAITERS = 1000;
/** An instance idle this long is compacted once (see #drainCompactions). */
const COMPACT_IDLE_MS = 1000;
const COMPACT_CONCURRENCY = 2;

function cpuLimitError(fn: string, cpuMs: number): IsotelError {
  return new IsotelError('ISOTEL_ERR_LIMIT_CPU_TIME', `${fn} used more than its CPU-time limit of ${cpuMs} ms; its isolate was stopped`, { details: { cpuMs } });
}

/**
 * Every isolate maps ~19 memory regions and Linux allows vm.max_map_count (65,530 by
 * default) per process: past ~3,400 isolates V8 cannot map memory and the whole
 * worker dies. Keep well below it (room for Node itself), evicting idle instances.
 */
const MAX_MAP_COUNT = readMaxMapCount();
const MAX_ISOLATES = Math.max(64, Math.floor((MAX_MAP_COUNT - 6000) / 20));

function readMaxMapCount(): number {
  try {
    return Number(readFileSync('/proc/sys/vm/max_map_count', 'utf8').trim()) || 65530;
  } catch {
    return 65530;
  }
}
let instanceSeq = 0;

/** Waits until one of the version's cold starts under way settles (whatever its outcome). */
async function awaitAnyStart(state: VersionState): Promise<void> {
  state.awaitingStart++;
  try {
    await Promise.race([...state.starts].map((p) => p.catch(() => {})));
  } finally {
    state.awaitingStart--;
  }
}

export class InstanceManager {
  readonly #o: InstanceManagerOptions;
  readonly #versions = new Map<string, VersionState>();
  /** Every live instance, least recently used first (Map keeps insertion order; touch = delete + set). */
  readonly #lru = new Map<Instance, true>();
  readonly #running = new Set<Running>();
  readonly #cpuTimer: NodeJS.Timeout;
  readonly #idleTimer: NodeJS.Timeout;
  evictions = 0;
  scaledToZero = 0;
  /** Invocations that ran synchronously on the worker's thread (syncMaxCpuMs). */
  syncInvocations = 0;
  /** Idle instances compacted (full GC, free memory given back). */
  compactions = 0;
  readonly #compactQueue: Instance[] = [];
  #compacting = 0;
  #sweeping = false;

  constructor(options: InstanceManagerOptions) {
    this.#o = options;
    this.#cpuTimer = setInterval(() => this.#checkCpu(), 10).unref();
    this.#idleTimer = setInterval(() => void this.#sweepIdle(), Math.max(5, Math.min(1000, Math.floor(options.idleMs / 4)))).unref();
  }

  get residentInstances(): number {
    return this.#lru.size;
  }

  get deployedVersions(): number {
    let n = 0;
    for (const v of this.#versions.values()) if (!v.retired) n++;
    return n;
  }

  /** Resident instances per function name. */
  residentByFunction(): Map<string, { instances: number; heapBytes: number }> {
    const out = new Map<string, { instances: number; heapBytes: number }>();
    for (const i of this.#lru.keys()) {
      const e = out.get(i.info.fn) ?? { instances: 0, heapBytes: 0 };
      e.instances++;
      e.heapBytes += i.heapBytes;
      out.set(i.info.fn, e);
    }
    return out;
  }

  /**
   * Checks a new version by loading it into a fresh isolate (compile, evaluate the
   * top level, find the handler), keeps the code cache that compile produced, and
   * registers the version. The trial isolate is discarded: the first request makes
   * a real cold start.
   */
  async deploy(v: Omit<DeployedVersion, 'cachedData'>): Promise<{ codeCacheBytes: number; loadMs: number }> {
    const started = performance.now();
    const existing = this.#versions.get(v.version);
    if (existing && !existing.retired) return { codeCacheBytes: existing.deployed.cachedData?.byteLength ?? 0, loadMs: 0 };
    const { sandbox } = await this.#acquire(v.limits.memoryLimitMb);
    const deployed: DeployedVersion = { ...v, cachedData: undefined };
    try {
      const result = await sandbox.load(v.source, { filename: v.filename, env: v.env, format: v.format, egress: v.egress });
      deployed.cachedData = result.cachedData;
      const syncLoad = this.#syncEligible(v.limits) && v.format === 'script' && Number(result.evaluateNs) / 1e6 < v.limits.cpuMs / 2;
      this.#versions.set(v.version, { deployed, instances: [], starts: new Set(), awaitingStart: 0, waiters: [], retired: false, syncLoad });
      return { codeCacheBytes: result.cachedData?.byteLength ?? 0, loadMs: performance.now() - started };
    } catch (e) {
      throw e instanceof IsotelError ? authorLocations(deployed, e) : e;
    } finally {
      sandbox.dispose();
    }
  }

  /** The limits of a deployed version on this worker (undefined when it is not deployed here). */
  limitsOf(version: string): FunctionLimits | undefined {
    return this.#versions.get(version)?.deployed.limits;
  }

  #syncEligible(limits: FunctionLimits): boolean {
    const max = this.#o.syncMaxCpuMs ?? 0;
    return max > 0 && limits.cpuMs <= max;
  }

  /** Retires a version: idle instances go now, busy ones when their last invocation ends. */
  undeploy(version: string): void {
    const state = this.#versions.get(version);
    if (!state) return;
    state.retired = true;
    this.#versions.delete(version);
    for (const instance of state.instances) {
      if (instance.inflight === 0) this.#remove(state, instance, 'undeployed');
      else instance.state = 'draining';
    }
    for (const wake of state.waiters.splice(0)) wake();
  }

  async invoke(fn: string, version: string, invocationId: string, request: InvokeRequest, startUnixNano: bigint, clientSignal?: AbortSignalLike): Promise<InvocationResult> {
    const state = this.#versions.get(version);
    if (!state) throw new IsotelError('ISOTEL_ERR_FUNCTION_NOT_FOUND', `function ${fn} version ${version} is not deployed on this worker`);
    const limits = state.deployed.limits;
    const abort = new Abort();
    const onClientAbort = (): void => abort.abort(clientSignal?.reason);
    clientSignal?.addEventListener('abort', onClientAbort, { once: true });

    // The wall-time limit covers everything from here: waiting for room, a cold start, the handler, the body.
    let wallTimer: NodeJS.Timeout | undefined;
    const limitHit = new Promise<never>((_, reject) => {
      wallTimer = setTimeout(() => {
        const e = new IsotelError('ISOTEL_ERR_LIMIT_WALL_TIME', `${fn} did not complete within its wall-time limit of ${limits.wallMs} ms`, { details: { wallMs: limits.wallMs } });
        abort.abort(e);
        reject(e);
      }, limits.wallMs);
      abort.signal.addEventListener('abort', () => reject(abort.signal.reason instanceof IsotelError ? abort.signal.reason : new IsotelError('ISOTEL_ERR_CLIENT_CLOSED', 'the client closed the connection')), { once: true });
    });
    limitHit.catch(() => {});
    const clear = (): void => {
      clearTimeout(wallTimer);
      clientSignal?.removeEventListener('abort', onClientAbort);
    };

    let instance: Instance;
    let phases: ColdStartPhases | undefined;
    // #instanceFor reserves a slot (inflight) in the instance it returns.
    const reserving = this.#instanceFor(state);
    try {
      ({ instance, phases } = await Promise.race([reserving, limitHit]));
    } catch (e) {
      clear();
      // The limit won the race: give back a slot that may still be reserved for us.
      reserving.then(({ instance: late }) => this.#release(state, late), () => {});
      throw e;
    }
    instance.invocations++;
    instance.lastUsed = Date.now();
    instance.compacted = false;
    this.#lru.delete(instance);
    this.#lru.set(instance, true);

    const event: InvocationEvent = {
      instance: instance.info,
      invocationId,
      method: request.method,
      url: request.url,
      headers: request.headers,
      startUnixNano,
      coldStart: phases !== undefined,
      ...(phases ? { coldStartPhases: phases } : {}),
    };
    if (channels.invokeStart.hasSubscribers) channels.invokeStart.publish(event);

    const cpuBefore = instance.sandbox.cpuTimeNs();
    const running: Running = {
      instance,
      cpuBefore,
      cpuLimitNs: BigInt(limits.cpuMs) * 1_000_000n,
      fail: (e) => abort.abort(e),
    };
    this.#running.add(running);

    let finished = false;
    const done = (error?: IsotelError): void => {
      if (finished) return;
      finished = true;
      clear();
      this.#running.delete(running);
      instance.inflight--;
      instance.lastUsed = Date.now();
      event.endHr = process.hrtime.bigint();
      if (!instance.sandbox.disposed) event.cpuTimeNs = instance.sandbox.cpuTimeNs() - cpuBefore;
      if (error && !event.error) {
        event.error = error;
        event.status ??= error.status;
      }
      if (channels.invokeEnd.hasSubscribers) channels.invokeEnd.publish(event);
      if (!error && !state.deployed.warmCache && state.deployed.format === 'script' && instance.sandbox.warmCodeCache) this.#warmCache(state.deployed, instance);
      if (instance.sandbox.disposed || instance.state === 'disposed') this.#remove(state, instance, 'error');
      else if (instance.state === 'draining' && instance.inflight === 0) this.#remove(state, instance, 'undeployed');
      state.waiters.shift()?.();
    };

    try {
      const syncBefore = instance.sandbox.synchronousInvocations ?? 0;
      const invoking = instance.sandbox.invoke(request, { invocationId, signal: abort.signal, ...(event.trace ? { trace: event.trace } : {}), ...(this.#syncEligible(limits) ? { syncTimeoutMs: limits.cpuMs } : {}) });
      if ((instance.sandbox.synchronousInvocations ?? 0) > syncBefore) this.syncInvocations++;
      const response = await Promise.race([invoking, limitHit]);
      if (phases) phases.dispatch = [phases.evaluate[1], process.hrtime.bigint()];
      event.status = response.status;
      return { response, event, signal: abort.signal, done };
    } catch (e) {
      if (phases) phases.dispatch = [phases.evaluate[1], process.hrtime.bigint()];
      const reason = abort.signal.aborted && abort.signal.reason instanceof IsotelError ? abort.signal.reason : undefined;
      // A synchronous call that ran out of time is the same CPU-limit breach the poller reports.
      const thrown = e instanceof IsotelError && e.code === 'ISOTEL_ERR_LIMIT_CPU_TIME' ? cpuLimitError(fn, limits.cpuMs) : e;
      const error = authorLocations(state.deployed, reason ?? (thrown instanceof IsotelError ? thrown : new IsotelError('ISOTEL_ERR_INTERNAL', e instanceof Error ? e.message : String(e), { cause: e })));
      this.#afterLimit(instance, error);
      event.status = error.status;
      event.error = error;
      done(error);
      throw error;
    }
  }

  /**
   * After a limit ended an invocation: a CPU breach disposes the isolate (it is
   * spinning); after a wall-time breach the isolate is disposed only if it is still
   * burning CPU (a sync loop would starve its other invocations), not when the
   * handler merely awaits something that never comes.
   */
  #afterLimit(instance: Instance, error: IsotelError): void {
    if (instance.sandbox.disposed) return;
    if (error.code === 'ISOTEL_ERR_LIMIT_CPU_TIME') instance.dispose('error');
    else if (error.code === 'ISOTEL_ERR_LIMIT_WALL_TIME') {
      const t0 = instance.sandbox.cpuTimeNs();
      setTimeout(() => {
        if (!instance.sandbox.disposed && instance.sandbox.cpuTimeNs() - t0 > 10_000_000n) this.#removeAnywhere(instance, 'error');
      }, 20).unref();
    }
  }

  #checkCpu(): void {
    for (const r of this.#running) {
      if (r.instance.sandbox.disposed) continue;
      if (r.instance.sandbox.cpuTimeNs() - r.cpuBefore > r.cpuLimitNs) {
        this.#running.delete(r);
        r.fail(cpuLimitError(r.instance.info.fn, Number(r.cpuLimitNs / 1_000_000n)));
        r.instance.dispose('error');
      }
    }
  }

  async #instanceFor(state: VersionState): Promise<{ instance: Instance; phases?: ColdStartPhases }> {
    const limits = state.deployed.limits;
    for (;;) {
      if (state.retired) throw new IsotelError('ISOTEL_ERR_WORKER_UNAVAILABLE', `${state.deployed.name} version ${state.deployed.version} was replaced while this request waited; retry`);
      let best: Instance | undefined;
      for (const i of state.instances) if (i.state === 'warm' && i.inflight < limits.concurrency && (!best || i.inflight > best.inflight)) best = i;
      if (best) {
        best.inflight++;
        return { instance: best };
      }
      // A start already under way will have room for us (its starter takes one slot).
      if (state.starts.size * (limits.concurrency - 1) > state.awaitingStart) {
        await awaitAnyStart(state);
        continue;
      }
      if (state.instances.length + state.starts.size < limits.maxInstances) {
        const start = this.#coldStart(state);
        state.starts.add(start);
        try {
          return await start;
        } finally {
          state.starts.delete(start);
          // Whoever waited for room can look again (the new instance may have spare slots).
          for (const wake of state.waiters.splice(0)) wake();
        }
      }
      if (state.starts.size > 0) {
        await awaitAnyStart(state);
        continue;
      }
      if (state.waiters.length >= MAX_WAITERS) {
        throw new IsotelError('ISOTEL_ERR_FUNCTION_OVERLOADED', `${state.deployed.name}: all ${limits.maxInstances} instances are at ${limits.concurrency} concurrent invocations and ${MAX_WAITERS} requests wait`);
      }
      await new Promise<void>((resolve) => state.waiters.push(resolve));
    }
  }

  async #coldStart(state: VersionState): Promise<{ instance: Instance; phases: ColdStartPhases }> {
    const v = state.deployed;
    this.#makeRoom(v.limits.memoryLimitMb * 1024 * 1024);
    const acquireStart = process.hrtime.bigint();
    const acquired = await this.#acquire(v.limits.memoryLimitMb);
    let sandbox = acquired.sandbox;
    const hit = acquired.hit;
    const acquireEnd = process.hrtime.bigint();
    if (channels.poolAcquire.hasSubscribers) channels.poolAcquire.publish({ hit, fn: v.name });
    let result;
    try {
      const options = { filename: v.filename, cachedData: v.cachedData, env: v.env, format: v.format, egress: v.egress };
      try {
        result = await sandbox.load(v.source, state.syncLoad ? { ...options, syncTimeoutMs: v.limits.cpuMs } : options);
      } catch (e) {
        if (!(e instanceof IsotelError && e.details?.synchronous)) throw e;
        // The top level was quick at deploy but not now: load the way deploys do, in a fresh isolate (this one's
        // top level was cut short), and stop loading this version synchronously.
        state.syncLoad = false;
        sandbox.dispose();
        this.#o.log.warn('a synchronous cold start ran out of time; loading asynchronously from now on', { function: v.name, version: v.version, timeoutMs: v.limits.cpuMs });
        ({ sandbox } = await this.#acquire(v.limits.memoryLimitMb));
        result = await sandbox.load(v.source, options);
      }
    } catch (e) {
      sandbox.dispose();
      // It loaded at deploy, so this is the environment (memory, a disposed isolate), not the code.
      this.#o.log.error('cold start failed', { function: v.name, version: v.version, error: e instanceof Error ? e.message : String(e) });
      throw e instanceof IsotelError ? authorLocations(v, e) : e;
    }
    if (result.cachedData) v.cachedData = result.cachedData; // V8 rejected the old cache: keep the new one
    const compileEnd = acquireEnd + result.compileNs;
    const evaluateEnd = compileEnd + result.evaluateNs;
    const info: InstanceInfo = { fn: v.name, version: v.version, instanceId: `${process.pid}-${++instanceSeq}`, memoryLimitMb: v.limits.memoryLimitMb };
    const instance = new Instance(info, sandbox);
    instance.inflight = 1; // reserved for the request that started it
    if (state.retired) instance.state = 'draining';
    state.instances.push(instance);
    this.#lru.set(instance, true);
    if (channels.instanceCreate.hasSubscribers) channels.instanceCreate.publish({ instance: info } satisfies InstanceEvent);
    // After the first dispatch: an asynchronous call in flight would keep that dispatch off the synchronous path.
    setImmediate(() => void instance.refreshHeap());
    return {
      instance,
      phases: { acquire: [acquireStart, acquireEnd], compile: [acquireEnd, compileEnd], evaluate: [compileEnd, evaluateEnd], codeCacheHit: result.codeCacheHit, poolHit: hit },
    };
  }

  /**
   * After a version's first successful invocation, re-make its code cache in the
   * background: it then holds the handler and everything it compiled lazily, so later
   * cold starts skip that compilation too.
   */
  #warmCache(v: DeployedVersion, instance: Instance): void {
    v.warmCache = true;
    setImmediate(() => {
      if (instance.sandbox.disposed) {
        v.warmCache = false;
        return;
      }
      instance.sandbox.warmCodeCache!().then(
        (cache) => {
          if (cache) v.cachedData = cache;
        },
        () => (v.warmCache = false),
      );
    });
  }

  /** Gives back a reserved slot that no invocation used. */
  #release(state: VersionState, instance: Instance): void {
    instance.inflight--;
    if (instance.state === 'draining' && instance.inflight === 0) this.#remove(state, instance, 'undeployed');
    state.waiters.shift()?.();
  }

  /**
   * Evicts least recently used idle instances until `extra` more bytes fit in the
   * memory budget and one more isolate fits under the process's isolate cap.
   */
  #makeRoom(extra: number): void {
    let total = 0;
    for (const i of this.#lru.keys()) total += i.heapBytes;
    // An instance not yet sampled counts as 1 MiB, its typical idle heap.
    const estimate = Math.min(extra, 1024 * 1024);
    let count = this.#lru.size + this.#o.pool.size;
    for (const i of this.#lru.keys()) {
      if (total + estimate <= this.#o.memoryBudgetBytes && count < MAX_ISOLATES) break;
      if (i.inflight > 0) continue;
      total -= i.heapBytes;
      count--;
      this.evictions++;
      this.#removeAnywhere(i, 'evicted');
    }
    if (count >= MAX_ISOLATES) {
      throw new IsotelError('ISOTEL_ERR_FUNCTION_OVERLOADED', `this worker process holds ${count} isolates, its limit (vm.max_map_count ${MAX_MAP_COUNT} allows ~${MAX_ISOLATES}), and none is idle: add worker processes (ISOTEL_WORKERS) or raise vm.max_map_count`);
    }
  }

  /** Disposes every idle instance now (of one version, or all): the next request is a cold start. */
  scaleToZero(version?: string): number {
    let n = 0;
    for (const i of [...this.#lru.keys()]) {
      if (i.inflight === 0 && (version === undefined || i.info.version === version)) {
        this.#removeAnywhere(i, 'idle');
        n++;
      }
    }
    this.scaledToZero += n;
    return n;
  }

  async #sweepIdle(): Promise<void> {
    if (this.#sweeping) return; // a slow sweep (heap readings) must not overlap the next
    this.#sweeping = true;
    try {
      const now = Date.now();
      const compactAfter = Math.min(COMPACT_IDLE_MS, this.#o.idleMs / 2);
      const sample: Instance[] = [];
      for (const i of this.#lru.keys()) {
        if (i.inflight === 0 && now - i.lastUsed >= this.#o.idleMs) {
          this.scaledToZero++;
          this.#removeAnywhere(i, 'idle');
          continue;
        }
        sample.push(i);
        if (!i.compacted && i.inflight === 0 && now - i.lastUsed >= compactAfter && i.sandbox.compact) {
          i.compacted = true;
          this.#compactQueue.push(i);
        }
      }
      this.#drainCompactions();
      // Refresh heap sizes of the instances that stay (bounded work per sweep).
      for (const i of sample.slice(0, 256)) {
        if (i.sandbox.disposed) continue;
        await i.refreshHeap();
      }
    } finally {
      this.#sweeping = false;
    }
  }

  /**
   * Idle compaction: an instance idle for a second gets one full garbage collection that also returns free
   * pages (its pool warm-up and first requests leave ~1.5 MB of garbage and committed space that V8 would
   * otherwise keep while the isolate sleeps). Density is about idle instances; this is where they shrink.
   * At most COMPACT_CONCURRENCY at a time on isolated-vm's threads, never on an instance that is in use.
   */
  #drainCompactions(): void {
    while (this.#compacting < COMPACT_CONCURRENCY && this.#compactQueue.length) {
      const i = this.#compactQueue.shift()!;
      if (i.state !== 'warm' || i.inflight > 0 || i.sandbox.disposed || !i.compacted) continue;
      this.#compacting++;
      i.sandbox.compact!().then(
        () => {
          this.compactions++;
          return i.refreshHeap();
        },
      ).catch(() => {}).finally(() => {
        this.#compacting--;
        this.#drainCompactions();
      });
    }
  }

  #removeAnywhere(instance: Instance, reason: DisposeReason): void {
    const state = this.#versions.get(instance.info.version);
    if (state) this.#remove(state, instance, reason);
    else {
      this.#lru.delete(instance);
      instance.dispose(reason);
    }
  }

  #remove(state: VersionState, instance: Instance, reason: DisposeReason): void {
    const idx = state.instances.indexOf(instance);
    if (idx !== -1) state.instances.splice(idx, 1);
    this.#lru.delete(instance);
    instance.dispose(reason);
    state.waiters.shift()?.();
  }

  async #acquire(memoryLimitMb: number): Promise<{ sandbox: Sandbox; hit: boolean }> {
    if (memoryLimitMb === this.#o.pool.memoryLimitMb) return this.#o.pool.take();
    // A function with its own memory limit cannot use the pool's isolates.
    this.#o.pool.misses++;
    return { sandbox: await this.#o.create({ ...this.#o.sandboxOptions, memoryLimitMb }), hit: false };
  }

  close(): void {
    clearInterval(this.#cpuTimer);
    clearInterval(this.#idleTimer);
    for (const instance of this.#lru.keys()) instance.dispose('shutdown');
    this.#lru.clear();
    for (const state of this.#versions.values()) state.instances.length = 0;
  }
}
