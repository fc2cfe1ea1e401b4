/**
 * Configuration: one schema per area, validated once at start, defaults in one
 * place with units, frozen. Every setting can come from an environment variable;
 * CLI flags override the environment. Unknown ISOTEL_* environment variables are
 * errors (a typo should not silently fall back to a default).
 *
 * The README's configuration reference is checked against these tables by
 * test/common/config.test.ts.
 */
import { resolve as resolvePath } from 'node:path';
import { IsotelError } from './errors.js';

export interface Setting<T> {
  readonly env: string;
  readonly default: T;
  readonly doc: string;
  readonly parse: (raw: string, name: string) => T;
}

export type Schema = Record<string, Setting<unknown>>;
export type Resolved<S extends Schema> = { readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

function invalid(name: string, raw: string, expected: string): IsotelError {
  return new IsotelError('ISOTEL_ERR_CONFIG_INVALID', `${name}=${JSON.stringify(raw)} is not ${expected}`);
}

export const parse = {
  string: (raw: string) => raw,
  path: (raw: string) => resolvePath(raw),
  port: (raw: string, name: string): number => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n > 65535) throw invalid(name, raw, 'a TCP port (0–65535)');
    return n;
  },
  int: (min: number, max: number) => (raw: string, name: string): number => {
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw) || n < min || n > max) throw invalid(name, raw, `an integer in [${min}, ${max}]`);
    return n;
  },
  number: (min: number, max: number) => (raw: string, name: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw invalid(name, raw, `a number in [${min}, ${max}]`);
    return n;
  },
  bool: (raw: string, name: string): boolean => {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw invalid(name, raw, 'a boolean (true/false)');
  },
  oneOf: <T extends string>(...values: T[]) => (raw: string, name: string): T => {
    if (!(values as string[]).includes(raw)) throw invalid(name, raw, `one of ${values.join(', ')}`);
    return raw as T;
  },
  url: (raw: string, name: string): string => {
    try {
      return new URL(raw).toString().replace(/\/$/, '');
    } catch {
      throw invalid(name, raw, 'a URL');
    }
  },
  optionalUrl: (raw: string, name: string): string => (raw === '' ? '' : parse.url(raw, name)),
} as const;

export function setting<T>(env: string, defaultValue: T, doc: string, parser: (raw: string, name: string) => T): Setting<T> {
  return { env, default: defaultValue, doc, parse: parser };
}

/** Every schema registered by an area; used to reject unknown ISOTEL_* variables and to document. */
const registry = new Map<string, Schema>();

export function defineSchema<S extends Schema>(area: string, schema: S): S {
  registry.set(area, schema);
  return schema;
}

export function registeredSchemas(): ReadonlyMap<string, Schema> {
  return registry;
}

/**
 * Resolves a schema from the environment and explicit overrides (CLI flags, keyed
 * by setting name). Returns a frozen object.
 */
export function resolveConfig<S extends Schema>(schema: S, options: { env?: NodeJS.ProcessEnv; overrides?: Partial<Record<keyof S, string | number | boolean | undefined>> } = {}): Resolved<S> {
  const env = options.env ?? process.env;
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(schema)) {
    const override = options.overrides?.[key as keyof S];
    if (override !== undefined) {
      out[key] = s.parse(String(override), `--${kebab(key)}`);
    } else if (env[s.env] !== undefined) {
      out[key] = s.parse(env[s.env] as string, s.env);
    } else {
      out[key] = s.default;
    }
  }
  return Object.freeze(out) as Resolved<S>;
}

/** Throws on ISOTEL_* variables that no registered schema knows. */
export function checkUnknownEnv(env: NodeJS.ProcessEnv = process.env, allowed: readonly string[] = []): void {
  const known = new Set<string>(allowed);
  for (const schema of registry.values()) for (const s of Object.values(schema)) known.add(s.env);
  for (const name of Object.keys(env)) {
    if (name.startsWith('ISOTEL_') && !known.has(name)) {
      throw new IsotelError('ISOTEL_ERR_CONFIG_UNKNOWN_KEY', `unknown environment variable ${name}`);
    }
  }
}

/** Turns a resolved config back into environment variables, to hand to a child process. */
export function toEnv<S extends Schema>(schema: S, config: Resolved<S>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, s] of Object.entries(schema)) out[s.env] = String((config as Record<string, unknown>)[key]);
  return out;
}

export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
