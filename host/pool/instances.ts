/**
 * Function instances: a function version loaded into an isolate, kept warm and
 * reused. A request for a version with no resident instance is a cold start:
 * acquire a pre-initialised isolate → compile the function (with the version's V8
 * code cache) → evaluate its top level → dispatch. Each phase is timed and published
 * so a regression can be pinned to it.
 */
import { IsotelError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { CreateSandbox, InvokeRequest, InvokeResponse, Sandbox, SandboxOptions } from '../isolate/api.js';
import type { FunctionLimits } from '../worker/protocol.js';
import { channels, type ColdStartPhases, type InstanceInfo, type InvocationEvent } from './events.js';
import type { IsolatePool } from './isolate-pool.js';

export interface DeployedVersion {
  readonly name: string;
  readonly version: string;
  readonly filename: string;
  readonly source: string;
  readonly limits: FunctionLimits;
  readonly env: Readonly<Record<string, string>>;
  /** V8 code cache for `source`, produced once per version. */
  cachedData: Uint8Array | undefined;
}

type InstanceState = 'warm' | 'draining' | 'disposed';

export class Instance {
  readonly info: InstanceInfo;
  readonly sandbox: Sandbox;
  state: InstanceState = 'warm';
  inflight = 0;
  invocations = 0;
  lastUsed = Date.now();

  constructor(info: InstanceInfo, sandbox: Sandbox) {
    this.info = info;
    this.sandbox = sandbox;
  }

  dispose(reason: NonNullable<import('./events.js').InstanceEvent['reason']>): void {
    if (this.state === 'disposed') return;
    this.state = 'disposed';
    this.sandbox.dispose();
    if (channels.instanceDispose.hasSubscribers) channels.instanceDispose.publish({ instance: this.info, reason });
  }
}

export interface InvocationResult {
  readonly response: InvokeResponse;
  readonly event: InvocationEvent;
  /** Call when the response body has been fully delivered (or abandoned). */
  readonly done: (error?: IsotelError) => void;
}

let instanceSeq = 0;

export class InstanceManager {
  readonly #pool: IsolatePool;
  readonly #create: CreateSandbox;
  readonly #sandboxOptions: Omit<SandboxOptions, 'memoryLimitMb'>;
  readonly #log: Logger;
  readonly #versions = new Map<string, DeployedVersion>();
  readonly #instances = new Map<string, Instance>();
  readonly #starting = new Map<string, Promise<{ instance: Instance; phases: ColdStartPhases }>>();

  constructor(pool: IsolatePool, create: CreateSandbox, sandboxOptions: Omit<SandboxOptions, 'memoryLimitMb'>, log: Logger) {
    this.#pool = pool;
    this.#create = create;
    this.#sandboxOptions = sandboxOptions;
    this.#log = log;
  }

  get residentInstances(): number {
    return this.#instances.size;
  }

  get deployedVersions(): number {
    return this.#versions.size;
  }

  /**
   * Checks a new version by loading it into a fresh isolate (compile, evaluate the
   * top level, find the handler), keeps the code cache that compile produced, and
   * registers the version. The trial isolate is discarded: the first request makes
   * a real cold start.
   */
  async deploy(v: Omit<DeployedVersion, 'cachedData'>): Promise<{ codeCacheBytes: number; loadMs: number }> {
    const started = performance.now();
    const { sandbox } = await this.#acquire(v.limits.memoryLimitMb);
    try {
      const result = await sandbox.load(v.source, { filename: v.filename, env: v.env });
      this.#versions.set(v.version, { ...v, cachedData: result.cachedData });
      return { codeCacheBytes: result.cachedData?.byteLength ?? 0, loadMs: performance.now() - started };
    } finally {
      sandbox.dispose();
    }
  }

  undeploy(version: string): void {
    this.#versions.delete(version);
    const instance = this.#instances.get(version);
    if (instance && instance.inflight === 0) {
      this.#instances.delete(version);
      instance.dispose('undeployed');
    } else if (instance) {
      instance.state = 'draining';
    }
  }

  async invoke(fn: string, version: string, invocationId: string, request: InvokeRequest, startUnixNano: bigint, signal?: AbortSignal): Promise<InvocationResult> {
    const deployed = this.#versions.get(version);
    if (!deployed) throw new IsotelError('ISOTEL_ERR_FUNCTION_NOT_FOUND', `function ${fn} version ${version} is not deployed on this worker`);
    let instance = this.#instances.get(version);
    let phases: ColdStartPhases | undefined;
    if (!instance || instance.state !== 'warm') {
      const started = await this.#coldStart(deployed);
      instance = started.instance;
      phases = started.phases;
    }
    instance.inflight++;
    instance.invocations++;
    instance.lastUsed = Date.now();
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
    const target = instance;
    let finished = false;
    const done = (error?: IsotelError): void => {
      if (finished) return;
      finished = true;
      target.inflight--;
      target.lastUsed = Date.now();
      event.endHr = process.hrtime.bigint();
      if (!target.sandbox.disposed) event.cpuTimeNs = target.sandbox.cpuTimeNs() - cpuBefore;
      if (error && !event.error) event.error = error;
      if (channels.invokeEnd.hasSubscribers) channels.invokeEnd.publish(event);
      if (target.state === 'draining' && target.inflight === 0) target.dispose('undeployed');
    };
    try {
      const response = await instance.sandbox.invoke(request, { invocationId, ...(signal ? { signal } : {}) });
      if (phases) phases.dispatch = [phases.evaluate[1], process.hrtime.bigint()];
      event.status = response.status;
      return { response, event, done };
    } catch (e) {
      if (phases) phases.dispatch = [phases.evaluate[1], process.hrtime.bigint()];
      const error = e instanceof IsotelError ? e : new IsotelError('ISOTEL_ERR_INTERNAL', e instanceof Error ? e.message : String(e), { cause: e });
      event.status = error.status;
      event.error = error;
      done(error);
      if (instance.sandbox.disposed) this.#forget(instance, 'error');
      throw error;
    }
  }

  #coldStart(v: DeployedVersion): Promise<{ instance: Instance; phases: ColdStartPhases }> {
    // Concurrent first requests share one cold start.
    let pending = this.#starting.get(v.version);
    if (pending) return pending;
    pending = (async () => {
      const acquireStart = process.hrtime.bigint();
      const { sandbox, hit } = await this.#acquire(v.limits.memoryLimitMb);
      const acquireEnd = process.hrtime.bigint();
      if (channels.poolAcquire.hasSubscribers) channels.poolAcquire.publish({ hit, fn: v.name });
      let result;
      try {
        result = await sandbox.load(v.source, { filename: v.filename, cachedData: v.cachedData, env: v.env });
      } catch (e) {
        sandbox.dispose();
        throw e;
      }
      if (result.cachedData) v.cachedData = result.cachedData; // V8 rejected the old cache: keep the new one
      const compileEnd = acquireEnd + result.compileNs;
      const evaluateEnd = compileEnd + result.evaluateNs;
      const info: InstanceInfo = { fn: v.name, version: v.version, instanceId: `${process.pid}-${++instanceSeq}`, memoryLimitMb: v.limits.memoryLimitMb };
      const instance = new Instance(info, sandbox);
      this.#instances.set(v.version, instance);
      if (channels.instanceCreate.hasSubscribers) channels.instanceCreate.publish({ instance: info });
      const phases: ColdStartPhases = {
        acquire: [acquireStart, acquireEnd],
        compile: [acquireEnd, compileEnd],
        evaluate: [compileEnd, evaluateEnd],
        codeCacheHit: result.codeCacheHit,
        poolHit: hit,
      };
      return { instance, phases };
    })();
    this.#starting.set(v.version, pending);
    const clear = (): void => void this.#starting.delete(v.version);
    pending.then(clear, clear);
    return pending;
  }

  async #acquire(memoryLimitMb: number): Promise<{ sandbox: Sandbox; hit: boolean }> {
    if (memoryLimitMb === this.#pool.memoryLimitMb) return this.#pool.take();
    // A function with its own memory limit cannot use the pool's isolates.
    this.#pool.misses++;
    return { sandbox: await this.#create({ ...this.#sandboxOptions, memoryLimitMb }), hit: false };
  }

  #forget(instance: Instance, reason: 'error'): void {
    if (this.#instances.get(instance.info.version) === instance) this.#instances.delete(instance.info.version);
    instance.dispose(reason);
  }

  close(): void {
    for (const instance of this.#instances.values()) instance.dispose('shutdown');
    this.#instances.clear();
  }
}
