/** Starts a real host (gateway in this process, isolate workers as child processes) for a test. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig } from '../../common/config.js';
import { createLogger } from '../../common/log.js';
import { commonSchema } from '../../common/settings.js';
import { hostSchema } from '../../host/config.js';
import { startHost, type HostHandle } from '../../host/main.js';
import { tempDir } from './processes.js';

export interface TestHost extends HostHandle {
  readonly dataDir: string;
  readonly token: string;
  deploy(name: string, source: string, extra?: { limits?: Record<string, number>; env?: Record<string, string>; filename?: string; egress?: unknown }): Promise<{ status: number; body: Record<string, unknown> }>;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  get(path: string, init?: RequestInit): Promise<Response>;
}

export async function startTestHost(env: Record<string, string> = {}, dataDir = tempDir('isotel-host-')): Promise<TestHost> {
  const fullEnv = { ISOTEL_TELEMETRY: 'false', ISOTEL_LOG_LEVEL: 'warn', ISOTEL_GATEWAY_PORT: '0', ...env, ISOTEL_DATA_DIR: dataDir };
  const common = resolveConfig(commonSchema, { env: fullEnv });
  const host = resolveConfig(hostSchema, { env: fullEnv });
  // Workers read their settings from the environment they inherit.
  for (const [k, v] of Object.entries(fullEnv)) process.env[k] = v;
  const handle = await startHost({ common, host, log: createLogger('test-host', 'warn') });
  const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${handle.url}/_isotel${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return Object.assign(Object.create(null) as object, handle, {
    close: handle.close,
    dataDir,
    token,
    admin,
    deploy: (name: string, source: string, extra: { limits?: Record<string, number>; env?: Record<string, string>; filename?: string; egress?: unknown } = {}) => admin('PUT', `/functions/${name}`, { source, ...extra }),
    get: (path: string, init?: RequestInit) => fetch(`${handle.url}${path}`, init),
  }) as TestHost;
}
