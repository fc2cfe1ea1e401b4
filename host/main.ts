/**
 * The host: the gateway (this process) and its isolate worker processes.
 * startHost() is used by `isotel host` and `isotel up`, and by tests.
 */
import type { FastifyInstance } from 'fastify';
import { resolveConfig, toEnv, type Resolved } from '../common/config.js';
import { IsotelError } from '../common/errors.js';
import { listenError } from '../common/listen.js';
import type { Logger } from '../common/log.js';
import { commonSchema } from '../common/settings.js';
import { hostSchema } from './config.js';
import { adminRoutes } from './gateway/admin.js';
import { createGateway } from './gateway/server.js';
import { ensureAdminToken } from './gateway/token.js';
import type { FunctionLimits } from './worker/protocol.js';
import { WorkerProcess } from './gateway/worker-process.js';
import { Deployer, functionsInDirectory } from './registry/deployer.js';
import { FunctionRegistry } from './registry/registry.js';

export interface DeployOutcome {
  readonly name: string;
  readonly url: string;
  readonly version?: string;
  readonly error?: { code: string; message: string } & Record<string, unknown>;
}

export interface HostHandle {
  readonly url: string;
  readonly port: number;
  readonly deployed: readonly DeployOutcome[];
  readonly registry: FunctionRegistry;
  readonly deployer: Deployer;
  readonly workers: readonly WorkerProcess[];
  readonly app: FastifyInstance;
  /** Stops accepting requests, lets in-flight ones finish, flushes telemetry, stops the workers. Idempotent. */
  close(): Promise<void>;
}

export async function startHost(opts: { common: Resolved<typeof commonSchema>; host: Resolved<typeof hostSchema>; log: Logger }): Promise<HostHandle> {
  const { common, host, log } = opts;
  const registry = new FunctionRegistry(common.dataDir);
  const workerEnv = { ...process.env, ...toEnv(commonSchema, common), ...toEnv(hostSchema, host) };
  const workers = Array.from({ length: host.workers }, (_, i) => new WorkerProcess(i, workerEnv, log));
  await Promise.all(workers.map((w) => w.start()));
  const defaults: FunctionLimits = { memoryLimitMb: host.memoryLimitMb, cpuMs: host.cpuMs, wallMs: host.wallMs, maxRequestBytes: host.maxRequestBytes, maxResponseBytes: host.maxResponseBytes, concurrency: host.concurrency, maxInstances: host.maxInstances };
  const deployer = new Deployer(registry, workers, defaults);
  const token = await ensureAdminToken(common.dataDir, host.adminToken);
  let url = '';
  const app = createGateway({ registry, workers, log, admin: adminRoutes({ registry, deployer, token, defaults, publicUrl: () => url, workers }) });
  let port: number;
  try {
    await app.listen({ host: common.bind, port: common.gatewayPort });
    const address = app.server.address();
    port = typeof address === 'object' && address ? address.port : common.gatewayPort;
  } catch (e) {
    await Promise.all(workers.map((w) => w.stop()));
    throw listenError(e, 'gateway', common.bind, common.gatewayPort, '--port or ISOTEL_GATEWAY_PORT');
  }
  url = host.publicUrl || `http://${common.bind.includes(':') ? `[${common.bind}]` : common.bind}:${port}`;

  const deployed: DeployOutcome[] = [];
  for (const fv of await registry.restore((name, e) => log.error('could not restore function', { function: name, error: e instanceof Error ? e.message : String(e) }))) {
    try {
      await deployer.restore(fv);
    } catch (e) {
      log.error('could not load restored function', { function: fv.name, error: e instanceof Error ? e.message : String(e) });
    }
  }
  if (host.deployDir) {
    for (const { name, path } of await functionsInDirectory(host.deployDir)) {
      try {
        const r = await deployer.deployFile(name, path);
        deployed.push({ name, url: `${url}/${name}/`, version: r.version });
      } catch (e) {
        const error = e instanceof IsotelError ? e : new IsotelError('ISOTEL_ERR_INTERNAL', e instanceof Error ? e.message : String(e));
        log.error(`deploy of ${name} failed: ${error.message}`, { code: error.code });
        deployed.push({ name, url: `${url}/${name}/`, error: error.toJSON().error });
      }
    }
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    deployed,
    registry,
    deployer,
    workers,
    app,
    close: () =>
      (closing ??= (async () => {
        await app.close();
        await Promise.all(workers.map((w) => w.stop()));
      })()),
  };
}

/** Entry point of the host process (`isotel host`). Reports readiness to a supervising parent over IPC. */
export async function runHostProcess(log: Logger, overrides: { common?: Record<string, unknown>; host?: Record<string, unknown> } = {}): Promise<void> {
  const common = resolveConfig(commonSchema, { overrides: overrides.common as never });
  const host = resolveConfig(hostSchema, { overrides: overrides.host as never });
  const handle = await startHost({ common, host, log });
  process.send?.({ t: 'host-ready', url: handle.url, deployed: handle.deployed });
  log.info('host ready', { url: handle.url, workers: host.workers });
  const stop = (): void => {
    handle.close().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error('shutdown failed', { error: e instanceof Error ? e.message : String(e) });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  // Under `isotel up` (an IPC parent) the supervisor orders the shutdown; Ctrl-C alone stops a standalone host.
  if (process.send) process.on('SIGINT', () => {});
  else process.once('SIGINT', stop);
  process.on('disconnect', stop);
}
