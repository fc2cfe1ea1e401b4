/**
 * Deploying a function: transpile (syntax errors reported with file and line),
 * name the version by content hash, have the owning worker load it in a fresh
 * isolate (top-level errors refused; the V8 code cache made once here), then make
 * it current. Until the last step succeeds, the previous version keeps serving.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { WorkerProcess } from '../gateway/worker-process.js';
import { IsotelError } from '../../common/errors.js';
import { workerFor } from '../gateway/server.js';
import type { FunctionLimits } from '../worker/protocol.js';
import type { EgressConfig } from './limits.js';
import { assertFunctionName, versionOf, type FunctionRegistry, type FunctionVersion } from './registry.js';
import { bundleFunction, compileFunctionSource } from './transpile.js';

export interface DeployRequest {
  readonly name: string;
  readonly source: string;
  readonly filename: string;
  readonly limits?: Partial<FunctionLimits>;
  readonly env?: Record<string, string>;
  readonly egress?: EgressConfig | undefined;
}

export interface DeployResult {
  readonly name: string;
  readonly version: string;
  readonly changed: boolean;
  readonly codeCacheBytes: number;
  readonly loadMs: number;
}

function deployMessage(fv: FunctionVersion) {
  return { name: fv.name, version: fv.version, source: fv.source, format: fv.format ?? 'module', sourceMap: fv.sourceMap, filename: fv.filename, limits: fv.limits, env: fv.env, egress: fv.egress } as const;
}

/** Puts `file:line:column: Name:` in front of a deploy error's message, so a log line alone says where. */
function located(e: unknown): unknown {
  if (!(e instanceof IsotelError) || !e.details) return e;
  const { file, line, column, name } = e.details as { file?: string; line?: number; column?: number; name?: string };
  if (!file || line === undefined || e.message.startsWith(file)) return e;
  const where = `${file}:${line}${column === undefined ? '' : `:${column}`}`;
  const message = name && !e.message.startsWith(name) ? `${where}: ${name}: ${e.message}` : `${where}: ${e.message}`;
  return new IsotelError(e.code, message, { details: { ...e.details } });
}

export const FUNCTION_EXTENSIONS = new Set(['.js', '.mjs', '.ts', '.mts']);

export class Deployer {
  readonly #registry: FunctionRegistry;
  readonly #workers: readonly WorkerProcess[];
  readonly #defaults: FunctionLimits;

  constructor(registry: FunctionRegistry, workers: readonly WorkerProcess[], defaults: FunctionLimits) {
    this.#registry = registry;
    this.#workers = workers;
    this.#defaults = defaults;
  }

  /** Deploys of one function run one after another, so activations never interleave. */
  readonly #locks = new Map<string, Promise<unknown>>();

  #serial<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(name) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const tail = next.catch(() => {});
    this.#locks.set(name, tail);
    void tail.then(() => {
      if (this.#locks.get(name) === tail) this.#locks.delete(name);
    });
    return next;
  }

  deploy(req: DeployRequest): Promise<DeployResult> {
    assertFunctionName(req.name);
    return this.#serial(req.name, () => this.#deploy(req));
  }

  async #deploy(req: DeployRequest): Promise<DeployResult> {
    const compiled = await compileFunctionSource(req.source, req.filename);
    const limits: FunctionLimits = { ...this.#defaults, ...req.limits };
    const env = req.env ?? {};
    const version = versionOf(compiled.code, limits, env, req.egress);
    const current = this.#registry.get(req.name);
    const fv: FunctionVersion = { name: req.name, version, filename: req.filename, source: compiled.code, format: compiled.format, sourceMap: compiled.sourceMap, limits, env, ...(req.egress ? { egress: req.egress } : {}), deployedAt: new Date().toISOString() };
    const { codeCacheBytes, loadMs } = await workerFor(req.name, this.#workers)
      .deploy(deployMessage(fv))
      .catch((e: unknown) => {
        throw located(e);
      });
    if (current?.version !== version) await this.#registry.activate(fv);
    return { name: req.name, version, changed: current?.version !== version, codeCacheBytes, loadMs };
  }

  /** Deploys a function from disk, bundling its imports. */
  async deployFile(name: string, path: string, options: Pick<DeployRequest, 'limits' | 'env' | 'egress'> = {}): Promise<DeployResult> {
    assertFunctionName(name);
    const source = await bundleFunction(path);
    return this.deploy({ name, source, filename: basename(path).replace(/\.(c|m)?tsx?$/, '.js'), ...options });
  }

  /** Makes an earlier version current again (default: the one active before the current one). */
  rollback(name: string, version?: string): Promise<DeployResult> {
    assertFunctionName(name);
    return this.#serial(name, async () => {
      const current = this.#registry.get(name);
      if (!current) throw new IsotelError('ISOTEL_ERR_FUNCTION_NOT_FOUND', `no function named ${JSON.stringify(name)} is deployed`);
      const target = version ?? (await this.#registry.previousVersion(name));
      if (!target) throw new IsotelError('ISOTEL_ERR_VERSION_NOT_FOUND', `${name} has no earlier version to roll back to`);
      const fv = await this.#registry.version(name, target);
      if (!fv) throw new IsotelError('ISOTEL_ERR_VERSION_NOT_FOUND', `${name} has no version ${JSON.stringify(target)}`);
      const { codeCacheBytes, loadMs } = await workerFor(name, this.#workers).deploy(deployMessage(fv));
      await this.#registry.activate({ ...fv, deployedAt: fv.deployedAt });
      return { name, version: fv.version, changed: current.version !== fv.version, codeCacheBytes, loadMs };
    });
  }

  remove(name: string): Promise<boolean> {
    assertFunctionName(name);
    return this.#serial(name, async () => {
      const current = this.#registry.get(name);
      if (current) workerFor(name, this.#workers).undeploy(name, current.version);
      return this.#registry.remove(name);
    });
  }

  /** Loads already-persisted versions into the workers (host restart). */
  async restore(fv: FunctionVersion): Promise<void> {
    await workerFor(fv.name, this.#workers).deploy(deployMessage(fv));
  }
}

/** The functions in a directory: `name.js|ts` files and `name/index.js|ts` folders. */
export async function functionsInDirectory(dir: string): Promise<{ name: string; path: string }[]> {
  const out: { name: string; path: string }[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isFile() && FUNCTION_EXTENSIONS.has(extname(entry.name)) && !entry.name.endsWith('.d.ts')) {
      out.push({ name: basename(entry.name, extname(entry.name)), path: join(dir, entry.name) });
    } else if (entry.isDirectory()) {
      for (const ext of FUNCTION_EXTENSIONS) {
        const index = join(dir, entry.name, `index${ext}`);
        if (await stat(index).then((s) => s.isFile(), () => false)) {
          out.push({ name: entry.name, path: index });
          break;
        }
      }
    }
  }
  return out;
}
