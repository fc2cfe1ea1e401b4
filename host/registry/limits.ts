/**
 * Function limits: their ranges and how a deploy's `limits` object is validated.
 * Defaults come from host settings (host/config.ts), so an operator sets them once.
 */
import { IsotelError } from '../../common/errors.js';
import type { FunctionLimits } from '../worker/protocol.js';

export const LIMIT_RANGES: Record<keyof FunctionLimits, readonly [min: number, max: number, doc: string]> = {
  memoryLimitMb: [8, 4096, 'isolate heap limit, MiB'],
  cpuMs: [1, 600_000, 'CPU time per invocation, ms'],
  wallMs: [1, 3_600_000, 'wall time per invocation, ms'],
  maxRequestBytes: [0, 2 ** 40, 'request body size, bytes'],
  maxResponseBytes: [0, 2 ** 40, 'response body size, bytes'],
  concurrency: [1, 10_000, 'concurrent invocations per instance'],
  maxInstances: [1, 1_000, 'instances per worker process'],
};

export function validateLimits(input: unknown, defaults: FunctionLimits): FunctionLimits {
  if (input === undefined || input === null) return defaults;
  if (typeof input !== 'object' || Array.isArray(input)) throw new IsotelError('ISOTEL_ERR_DEPLOY_BAD_REQUEST', '"limits" must be an object');
  const out: Record<string, number> = { ...defaults };
  for (const [key, value] of Object.entries(input)) {
    const range = LIMIT_RANGES[key as keyof FunctionLimits];
    if (!range) throw new IsotelError('ISOTEL_ERR_DEPLOY_BAD_REQUEST', `unknown limit "limits.${key}"; known: ${Object.keys(LIMIT_RANGES).join(', ')}`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < range[0] || value > range[1]) {
      throw new IsotelError('ISOTEL_ERR_DEPLOY_BAD_REQUEST', `"limits.${key}" must be an integer in [${range[0]}, ${range[1]}] (${range[2]}), got ${JSON.stringify(value)}`);
    }
    out[key] = value;
  }
  return out as unknown as FunctionLimits;
}

export function validateEnv(input: unknown): Record<string, string> {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new IsotelError('ISOTEL_ERR_DEPLOY_BAD_REQUEST', '"env" must be an object of string values');
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new IsotelError('ISOTEL_ERR_DEPLOY_BAD_REQUEST', `env name ${JSON.stringify(key)} is not an identifier`);
    if (typeof value !== 'string') throw new IsotelError('ISOTEL_ERR_DEPLOY_BAD_REQUEST', `env.${key} must be a string, got ${typeof value}`);
    out[key] = value;
  }
  return out;
}
