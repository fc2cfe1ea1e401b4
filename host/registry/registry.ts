/**
 * The function registry: which version of each function is current. Every deploy is
 * a new immutable version named by the hash of its code and settings; making it
 * current is one assignment, so requests already running finish on the version they
 * started with and new requests get the new one. Versions are persisted under
 * `<dataDir>/functions/<name>/` and the current pointer is written by atomic rename,
 * so a host restart serves exactly what was serving before.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IsotelError } from '../../common/errors.js';
import type { FunctionLimits } from '../worker/protocol.js';
import type { EgressConfig } from './limits.js';
import type { FunctionFormat } from './transpile.js';

export const FUNCTION_NAME = /^[a-z][a-z0-9-]{0,62}$/;

export interface FunctionVersion {
  readonly name: string;
  readonly version: string;
  readonly filename: string;
  /** JavaScript as compiled in the isolate (TypeScript already transpiled). */
  readonly source: string;
  /** 'script' (a factory the isolate compiles with code cache) or 'module' (uses top-level await). */
  readonly format: FunctionFormat;
  /** Source map from `source` back to the author's files. */
  readonly sourceMap: string | undefined;
  readonly limits: FunctionLimits;
  readonly env: Readonly<Record<string, string>>;
  /** Outbound fetch() policy beyond the default (absent: the default). */
  readonly egress?: EgressConfig | undefined;
  readonly deployedAt: string;
}

export function assertFunctionName(name: string): void {
  if (!FUNCTION_NAME.test(name)) {
    throw new IsotelError('ISOTEL_ERR_FUNCTION_INVALID_NAME', `invalid function name ${JSON.stringify(name)}: use 1–63 lowercase letters, digits or "-", starting with a letter`);
  }
}

export function versionOf(source: string, limits: FunctionLimits, env: Readonly<Record<string, string>>, egress?: EgressConfig): string {
  const h = createHash('sha256');
  h.update(source).update('\0').update(JSON.stringify(limits)).update('\0').update(JSON.stringify(Object.entries(env).sort()));
  if (egress) h.update('\0').update(JSON.stringify(egress));
  return h.digest('hex').slice(0, 12);
}

async function writeAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

export class FunctionRegistry {
  readonly #dir: string;
  readonly #current = new Map<string, FunctionVersion>();

  constructor(dataDir: string) {
    this.#dir = join(dataDir, 'functions');
  }

  get(name: string): FunctionVersion | undefined {
    return this.#current.get(name);
  }

  list(): FunctionVersion[] {
    return [...this.#current.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Persists the version, then makes it current, and records the activation in the function's history. */
  async activate(fv: FunctionVersion): Promise<void> {
    const dir = join(this.#dir, fv.name);
    await mkdir(join(dir, 'versions'), { recursive: true });
    await writeFile(join(dir, 'versions', `${fv.version}.json`), JSON.stringify(fv));
    const history = await this.history(fv.name);
    history.push({ version: fv.version, deployedAt: fv.deployedAt, activatedAt: new Date().toISOString() });
    await writeAtomic(join(dir, 'history.json'), JSON.stringify(history.slice(-100)));
    await writeAtomic(join(dir, 'current'), JSON.stringify({ version: fv.version, activatedAt: new Date().toISOString() }));
    this.#current.set(fv.name, fv);
  }

  /** Activations of a function, oldest first (at most the last 100). */
  async history(name: string): Promise<{ version: string; deployedAt: string; activatedAt: string }[]> {
    try {
      return JSON.parse(await readFile(join(this.#dir, name, 'history.json'), 'utf8')) as { version: string; deployedAt: string; activatedAt: string }[];
    } catch {
      return [];
    }
  }

  async version(name: string, version: string): Promise<FunctionVersion | undefined> {
    if (!/^[0-9a-f]{12}$/.test(version)) return undefined;
    try {
      return JSON.parse(await readFile(join(this.#dir, name, 'versions', `${version}.json`), 'utf8')) as FunctionVersion;
    } catch {
      return undefined;
    }
  }

  /** The version active before the current one, for a rollback without an explicit target. */
  async previousVersion(name: string): Promise<string | undefined> {
    const current = this.#current.get(name)?.version;
    const history = await this.history(name);
    for (let i = history.length - 1; i >= 0; i--) if (history[i]!.version !== current) return history[i]!.version;
    return undefined;
  }

  async remove(name: string): Promise<boolean> {
    const existed = this.#current.delete(name);
    await rm(join(this.#dir, name), { recursive: true, force: true });
    return existed;
  }

  /** Loads every function's current version from disk (host restart). Unreadable entries are reported, not fatal. */
  async restore(onError: (name: string, error: unknown) => void): Promise<FunctionVersion[]> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch {
      return [];
    }
    for (const name of names) {
      if (!FUNCTION_NAME.test(name)) continue;
      try {
        const { version } = JSON.parse(await readFile(join(this.#dir, name, 'current'), 'utf8')) as { version: string };
        const fv = JSON.parse(await readFile(join(this.#dir, name, 'versions', `${version}.json`), 'utf8')) as FunctionVersion;
        this.#current.set(name, fv);
      } catch (e) {
        onError(name, e);
      }
    }
    return this.list();
  }
}
