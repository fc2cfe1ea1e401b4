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

export interface EgressConfig {
  /** Destinations opened beyond the default policy: hostnames, `*.suffix`, IPs, CIDR ranges. */
  readonly allow: readonly string[];
  readonly subrequestLimit?: number;
}

export function validateEgress(input: unknown): EgressConfig | undefined {
  if (input === undefined || input === null) return undefined;
  if (typeof input !== 'object' || Array.isArray(input)) throw new IsotelError('ISOTEL_ERR_DEPLOY_BAD_REQUEST', '"egress" must be an object like {"allow": ["api.internal", "10.0.0.0/8"], "subrequestLimit": 50}');
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) if (key !== 'allow' && key !== 'subrequestLimit') throw new IsotelError('ISOTEL_ERR_DEPLOY_BAD_REQUEST', `unknown field "egress.${key}"; known: allow, subrequestLimit`);
  const allow = o.allow ?? [];
  if (!Array.isArray(allow) || allow.some((a) => typeof a !== 'string' || a.length === 0 || a.length > 253 || /\s/.test(a))) {
    throw new IsotelError('ISOTEL_ERR_DEPLOY_BAD_REQUEST', '"egress.allow" must be a list of hostnames, *.suffix patterns, IP addresses or CIDR ranges');
  }
  if (o.subrequestLimit !== undefined && (typeof o.subrequestLimit !== 'number' || !Number.isInteger(o.subrequestLimit) || o.subrequestLimit < 0 || o.subrequestLimit > 10_000)) {
    throw new IsotelError('ISOTEL_ERR_DEPLOY_BAD_REQUEST', '"egress.subrequestLimit" must be an integer in [0, 10000]');
  }
  return { allow: allow as string[], ...(o.subrequestLimit !== undefined ? { subrequestLimit: o.subrequestLimit as number } : {}) };
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
