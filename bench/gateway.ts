/**
 * `npm run bench -- gateway [--json] [--seconds 5] [--connections 16]`
 *
 * Warm hello-world through the isotel gateway (gateway process → worker process →
 * isolate) vs a plain fastify hello world, in the same run, same load generator
 * (its own process). isotel runs twice: hello with a 50 ms CPU limit (synchronous
 * dispatch on the worker's thread) and with the default 30 s limit (isolated-vm's
 * thread pool). Figures: req/s, latency, and requests per server CPU-second —
 * the servers' own CPU time read from /proc (the gateway's plus its workers'), so a
 * noisy machine still compares.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childrenOf, cpuSeconds, log, runLoad } from './_stats.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Server {
  readonly url: string;
  readonly pids: () => number[];
  readonly child: ChildProcess;
}

function waitForLine(child: ChildProcess, pattern: RegExp, stream: 'stdout' | 'stderr'): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString();
      const m = buf.match(pattern);
      if (m) {
        child[stream]!.off('data', onData);
        resolve(m);
      }
    };
    child[stream]!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before ${pattern}: ${buf}`)));
  });
}

/** `cpuMs`: the functions' default CPU limit; at most ISOTEL_SYNC_DISPATCH_MAX_CPU_MS (50) they run synchronously on the worker's thread. */
async function startGateway(cpuMs: number): Promise<Server> {
  const dir = join(tmpdir(), `isotel-bench-gw-${process.pid}-${cpuMs}`);
  mkdirSync(join(dir, 'fns'), { recursive: true });
  writeFileSync(join(dir, 'fns/hello.js'), readFileSync(join(root, 'examples/hello.js')));
  const child = spawn(process.execPath, [join(root, 'bin/isotel.js'), 'host', '--data-dir', join(dir, 'data'), '--port', '0', '--deploy', join(dir, 'fns')], {
    env: { ...process.env, ISOTEL_TELEMETRY: 'false', ISOTEL_LOG_LEVEL: 'info', ISOTEL_FUNCTION_CPU_MS: String(cpuMs) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const m = await waitForLine(child, /host ready url=(\S+)/, 'stderr');
  const pid = child.pid!;
  return { url: `${m[1]}/hello/`, child, pids: () => [pid, ...childrenOf(pid)] };
}

async function startFastify(): Promise<Server> {
  const child = spawn(process.execPath, [join(root, 'bench/_fastify-hello.mjs')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const m = await waitForLine(child, /listening (\d+)/, 'stdout');
  return { url: `http://127.0.0.1:${m[1]}/hello/`, child, pids: () => [child.pid!] };
}

async function run(server: Server, connections: number, seconds: number) {
  await runLoad(server.url, connections, 1); // warm-up
  const pids = server.pids();
  const before = await Promise.all(pids.map(cpuSeconds));
  const r = await runLoad(server.url, connections, seconds);
  const after = await Promise.all(pids.map(cpuSeconds));
  const cpu = after.reduce((a, b, i) => a + b - before[i]!, 0);
  return { ...r, serverCpuSeconds: Number(cpu.toFixed(2)), requestsPerCpuSecond: Math.round(r.requests / cpu), rps: Math.round(r.rps), p50Ms: Number(r.p50Ms.toFixed(3)), p99Ms: Number(r.p99Ms.toFixed(3)) };
}

export default async function gateway({ args }: { json: boolean; args: string[] }): Promise<Record<string, unknown>> {
  const arg = (name: string, def: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
  const seconds = arg('--seconds', 5);
  const connections = arg('--connections', 16);
  // isotel: hello with a tight CPU limit (synchronous dispatch on the worker's thread) and with the default 30 s
  // limit (isolated-vm's thread pool, so a long computation never holds the worker).
  const gw = await startGateway(50);
  const gwPool = await startGateway(30_000);
  const fy = await startFastify();
  try {
    log(`gateway: ${connections} connections, ${seconds} s per round, two rounds alternating`);
    type Round = Awaited<ReturnType<typeof run>>;
    const rounds: { fastify: Round; isotel: Round; isotelThreadPool: Round }[] = [];
    for (let i = 0; i < 2; i++) rounds.push({ fastify: await run(fy, connections, seconds), isotel: await run(gw, connections, seconds), isotelThreadPool: await run(gwPool, connections, seconds) });
    const best = (k: 'fastify' | 'isotel' | 'isotelThreadPool') => rounds.map((r) => r[k]).sort((a, b) => b.requestsPerCpuSecond - a.requestsPerCpuSecond)[0]!;
    const f = best('fastify');
    const g = best('isotel');
    const gp = best('isotelThreadPool');
    const ratio = Number((g.requestsPerCpuSecond / f.requestsPerCpuSecond).toFixed(3));
    const ratioPool = Number((gp.requestsPerCpuSecond / f.requestsPerCpuSecond).toFixed(3));
    log(`fastify ${f.requestsPerCpuSecond} req/CPU-s (${f.rps} req/s); isotel cpuMs=50 ${g.requestsPerCpuSecond} req/CPU-s (${g.rps} req/s): ratio ${ratio}; isotel cpuMs=30000 ${gp.requestsPerCpuSecond} req/CPU-s (${gp.rps} req/s): ratio ${ratioPool}`);
    return { fastify: f, isotel: g, isotelThreadPool: gp, rounds, ratioPerCpuSecond: ratio, ratioPerCpuSecondThreadPool: ratioPool, ratioThroughput: Number((g.rps / f.rps).toFixed(3)), target: 0.6 };
  } finally {
    gw.child.kill('SIGTERM');
    gwPool.child.kill('SIGTERM');
    fy.child.kill('SIGTERM');
  }
}
