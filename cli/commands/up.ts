/**
 * `isotel up` (= `npm start`): the collector and the host as two supervised
 * processes. A crash of one restarts it and leaves the other running. Ctrl-C or
 * SIGTERM stops the host first (its workers flush their telemetry to the
 * collector), then the collector (it flushes everything it acknowledged into
 * ClickHouse).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { toEnv, type Resolved } from '../../common/config.js';
import { commonSchema } from '../../common/settings.js';
import { hostSchema } from '../../host/config.js';
import { IsotelError, type ErrorCode } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { DeployOutcome } from '../../host/main.js';

// The bin script, not dist/cli/main.js: it is what parses argv and runs a command.
const CLI_MAIN = fileURLToPath(new URL('../../../bin/isotel.js', import.meta.url));

interface Supervised {
  readonly name: 'collector' | 'host';
  child: ChildProcess | undefined;
  stopping: boolean;
  restarts: number;
}

type ReadyMessage = { t: 'collector-ready'; ports: { otlpHttp: number; otlpGrpc: number; viewer: number }; clickhouse: string } | { t: 'host-ready'; url: string; deployed: DeployOutcome[] } | { t: 'fatal'; error: { code: ErrorCode; message: string } };

function startChild(s: Supervised, env: NodeJS.ProcessEnv, execArgv: string[]): Promise<ReadyMessage> {
  return new Promise((resolve, reject) => {
    const child = fork(CLI_MAIN, [s.name], { env, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    s.child = child;
    child.on('message', (m: ReadyMessage) => {
      if (m.t === 'fatal') reject(new IsotelError(m.error.code, m.error.message));
      else resolve(m);
    });
    child.once('exit', (code, signal) => reject(new IsotelError('ISOTEL_ERR_PROCESS_EXITED', `the ${s.name} process exited during start-up (code ${code}, signal ${signal})`)));
  });
}

function stopChild(s: Supervised, timeoutMs: number): Promise<void> {
  s.stopping = true;
  const child = s.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function upCommand(opts: { common: Resolved<typeof commonSchema>; host: Resolved<typeof hostSchema>; collectorEnv: Record<string, string>; log: Logger; out?: (line: string) => void }): Promise<{ stop(): Promise<void>; stopped: Promise<void> }> {
  const out = opts.out ?? ((line: string) => process.stdout.write(line + '\n'));
  const env = { ...process.env, ...toEnv(commonSchema, opts.common), ...opts.collectorEnv };
  const collector: Supervised = { name: 'collector', child: undefined, stopping: false, restarts: 0 };
  const host: Supervised = { name: 'host', child: undefined, stopping: false, restarts: 0 };
  let hostEnv: NodeJS.ProcessEnv = env;

  let collectorReady: Extract<ReadyMessage, { t: 'collector-ready' }>;
  let hostReady: Extract<ReadyMessage, { t: 'host-ready' }>;
  try {
    collectorReady = (await startChild(collector, env, ['--enable-source-maps'])) as typeof collectorReady;
    // Pin the ports actually bound (port 0 picks one), so the host exports to the
    // right place and a restarted collector comes back on the same ports.
    env.ISOTEL_OTLP_HTTP_PORT = String(collectorReady.ports.otlpHttp);
    env.ISOTEL_OTLP_GRPC_PORT = String(collectorReady.ports.otlpGrpc);
    env.ISOTEL_VIEWER_PORT = String(collectorReady.ports.viewer);
    hostEnv = { ...env, ...toEnv(hostSchema, opts.host) };
    hostReady = (await startChild(host, hostEnv, ['--enable-source-maps'])) as typeof hostReady;
    hostEnv.ISOTEL_GATEWAY_PORT = new URL(hostReady.url).port || hostEnv.ISOTEL_GATEWAY_PORT;
  } catch (e) {
    await stopChild(host, 5000);
    await stopChild(collector, 10000);
    throw e;
  }

  // Restart a crashed process with backoff; the other one keeps running.
  const supervise = (s: Supervised, childEnv: NodeJS.ProcessEnv): void => {
    s.child?.once('exit', (code, signal) => {
      if (s.stopping) return;
      s.restarts++;
      const delay = Math.min(10_000, 250 * 2 ** Math.min(s.restarts, 6));
      opts.log.error(`the ${s.name} process exited; restarting`, { code, signal, restartInMs: delay });
      setTimeout(() => {
        if (s.stopping) return;
        startChild(s, childEnv, ['--enable-source-maps']).then(
          () => {
            opts.log.info(`the ${s.name} process is back`);
            s.restarts = 0;
            supervise(s, childEnv);
          },
          (e: unknown) => {
            opts.log.error(`restarting the ${s.name} process failed`, { error: e instanceof Error ? e.message : String(e) });
            supervise(s, childEnv);
          },
        );
      }, delay);
    });
  };
  supervise(collector, env);
  supervise(host, hostEnv);

  const bind = opts.common.bind;
  const pad = (s: string, n: number): string => s.padEnd(n);
  out('');
  out('isotel is up');
  out(`  gateway      ${hostReady.url}`);
  const width = Math.max(8, ...hostReady.deployed.map((d) => d.name.length));
  hostReady.deployed.forEach((d, i) => {
    const label = i === 0 ? '  functions    ' : '               ';
    out(`${label}${pad(d.name, width)}  ${d.error ? `✗ not deployed: ${d.error.message}` : d.url}`);
  });
  out(`  OTLP         http://${bind}:${collectorReady.ports.otlpHttp} (HTTP)   ${bind}:${collectorReady.ports.otlpGrpc} (gRPC)`);
  out(`  ClickHouse   ${collectorReady.clickhouse}`);
  out(`  dashboards   http://${bind}:${collectorReady.ports.viewer}/`);
  const queryFlags = collectorReady.ports.viewer === 8788 ? '' : ` --viewer-port ${collectorReady.ports.viewer}`;
  out(`  query        npx isotel query${queryFlags} "SELECT SpanName, count() FROM otel_traces GROUP BY SpanName"`);
  out(`               (or POST http://${bind}:${collectorReady.ports.viewer}/api/query {"sql": "..."})`);
  out('  stop         Ctrl-C');
  out('');

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      opts.log.info('stopping: host first (flushes telemetry), then the collector');
      await stopChild(host, 15_000);
      await stopChild(collector, 30_000);
      resolveStopped();
    })());
  return { stop, stopped };
}
