/**
 * The function registry: which version of each function is current. Every deploy is
 * a new immutable version named by the hash of its code and settings; making it
 * current is one assignment, so requests already running finish on the version they
 * started with and new requests get the new one. Versions are persisted under
 * `<dataDir>/functions/<name>/` and the current pointer is written by atomic rename,
 * so a host restart serves exactly what was serving before.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IsotelError } from '../../common/errors.js';
import type { FunctionLimits } from '../worker/protocol.js';

export const FUNCTION_NAME = /^[a-z][a-z0-9-]{0,62}$/;

export interface FunctionVersion {
  readonly name: string;
  readonly version: string;
  readonly filename: string;
  /** JavaScript as compiled in the isolate (TypeScript already transpiled). */
  readonly source: string;
  readonly limits: FunctionLimits;
  readonly env: Readonly<Record<string, string>>;
  readonly deployedAt: string;
}

export function assertFunctionName(name: string): void {
  if (!FUNCTION_NAME.test(name)) {
    throw new IsotelError('ISOTEL_ERR_FUNCTION_INVALID_NAME', `invalid function name ${JSON.stringify(name)}: use 1–63 lowercase letters, digits or "-", starting with a letter`);
  }
}

export function versionOf(source: string, limits: FunctionLimits, env: Readonly<Record<string, string>>): string {
  const h = createHash('sha256');
  h.update(source).update('\0').update(JSON.stringify(limits)).update('\0').update(JSON.stringify(Object.entries(env).sort()));
  return h.digest('hex').slice(0, 12);
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

  /** Persists the version, then makes it current. */
  async activate(fv: FunctionVersion): Promise<void> {
    const dir = join(this.#dir, fv.name);
    await mkdir(join(dir, 'versions'), { recursive: true });
    await writeFile(join(dir, 'versions', `${fv.version}.json`), JSON.stringify(fv));
    const tmp = join(dir, `current.${process.pid}.tmp`);
    await writeFile(tmp, JSON.stringify({ version: fv.version, activatedAt: new Date().toISOString() }));
    await rename(tmp, join(dir, 'current'));
    this.#current.set(fv.name, fv);
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
