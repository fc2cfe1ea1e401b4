/**
 * `npm run bench -- density [--json] [--counts 1000,5000] [--workers 1]`
 *
 * RSS per resident instance: a host (gateway + one worker process) with N distinct
 * functions deployed and each warmed by one request. Reports the host's processes'
 * RSS together divided by resident instances, the increase over the empty host per
 * instance, and whether every function still answers afterwards. RSS is read twice:
 * a second after the warm-up requests (`justWarmedRssPerInstanceMb`), and once every
 * idle instance has been compacted (the resident, between-requests state; the headline).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { childrenOf, log, rssBytes } from './_stats.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function startHost(dataDir: string, workers: number): Promise<{ child: ChildProcess; url: string; token: string }> {
  mkdirSync(dataDir, { recursive: true });
  const child = spawn(process.execPath, [join(root, 'bin/isotel.js'), 'host', '--data-dir', dataDir, '--port', '0'], {
    env: { ...process.env, ISOTEL_TELEMETRY: 'false', ISOTEL_LOG_LEVEL: 'info', ISOTEL_INSTANCE_IDLE_MS: '3600000', ISOTEL_WORKERS: String(workers) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /host ready url=(\S+)/.exec(buf);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (c) => reject(new Error(`host exited ${c}: ${buf}`)));
  });
  return { child, url, token: readFileSync(join(dataDir, 'admin-token'), 'utf8').trim() };
}

async function hostRss(pid: number): Promise<number> {
  const pids = [pid, ...childrenOf(pid)];
  return (await Promise.all(pids.map(rssBytes))).reduce((a, b) => a + b, 0);
}

async function measure(count: number, workers: number): Promise<Record<string, unknown>> {
  const dataDir = join(tmpdir(), `isotel-bench-density-${process.pid}-${count}`);
  const host = await startHost(dataDir, workers);
  const pool = new Pool(host.url, { connections: 8 });
  try {
    await new Promise((r) => setTimeout(r, 500));
    const emptyRss = await hostRss(host.child.pid!);
    const started = performance.now();
    const names = Array.from({ length: count }, (_, i) => `fn-${i}`);
    // Deploy (8 at a time), then warm each with one request.
    for (let i = 0; i < names.length; i += 8) {
      await Promise.all(
        names.slice(i, i + 8).map(async (name, j) => {
          const res = await pool.request({ path: `/_isotel/functions/${name}`, method: 'PUT', headers: { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ source: `const id = ${i + j}; export default { fetch() { return new Response('fn ' + id); } };` }) });
          const body = await res.body.text();
          if (res.statusCode >= 300) throw new Error(`deploy ${name}: ${res.statusCode} ${body}`);
        }),
      );
    }
    const deployedS = (performance.now() - started) / 1000;
    let warmFailures = 0;
    for (let i = 0; i < names.length; i += 16) {
      await Promise.all(names.slice(i, i + 16).map(async (name) => {
        const res = await pool.request({ path: `/${name}/`, method: 'GET' });
        await res.body.dump();
        if (res.statusCode !== 200) warmFailures++;
      }));
    }
    const stats = async (): Promise<{ instances: number; compactions: number }> => {
      const res = await pool.request({ path: '/_isotel/stats', method: 'GET', headers: { authorization: `Bearer ${host.token}` } });
      return (await res.body.json()) as { instances: number; compactions: number };
    };
    await new Promise((r) => setTimeout(r, 1000));
    // Just after the warm-up requests: garbage of the pool warm-up and the first request still in every heap.
    const hotRss = await hostRss(host.child.pid!);
    const before = await stats();
    // Then as resident functions sit between requests: each idle instance is compacted once (host/pool/instances.ts).
    const settleStart = performance.now();
    let now = before;
    while (now.compactions < now.instances && performance.now() - settleStart < 180_000) {
      await new Promise((r) => setTimeout(r, 1000));
      now = await stats();
    }
    const settleS = (performance.now() - settleStart) / 1000;
    const rss = await hostRss(host.child.pid!);
    // Every function answers again (served warm, or restarted if it had been evicted).
    let servable = 0;
    for (let i = 0; i < names.length; i += 16) {
      const ok = await Promise.all(names.slice(i, i + 16).map(async (name) => {
        const res = await pool.request({ path: `/${name}/`, method: 'GET' });
        const text = await res.body.text();
        return res.statusCode === 200 && text === `fn ${name.slice(3)}`;
      }));
      servable += ok.filter(Boolean).length;
    }
    const resident = now.instances;
    const mb = (b: number): number => Number((b / 2 ** 20).toFixed(2));
    const r = {
      functions: count, workers, warmFailures, residentInstances: resident,
      hostRssMb: mb(rss), emptyHostRssMb: mb(emptyRss), rssPerInstanceMb: mb(rss / resident), addedRssPerInstanceMb: mb((rss - emptyRss) / resident),
      justWarmedRssPerInstanceMb: mb(hotRss / before.instances), compacted: now.compactions, compactionSeconds: Number(settleS.toFixed(1)),
      allServable: servable === count, servable, deploySeconds: Number(deployedS.toFixed(1)),
    };
    log(`density ${count}: ${JSON.stringify(r)}`);
    return r;
  } finally {
    await pool.close();
    host.child.kill('SIGTERM');
    await new Promise((r) => host.child.once('exit', r));
  }
}

export default async function density({ args }: { json: boolean; args: string[] }): Promise<Record<string, unknown>> {
  const counts = (args.includes('--counts') ? args[args.indexOf('--counts') + 1]! : '1000,5000').split(',').map(Number);
  const results: Record<string, unknown> = {};
  const workers = args.includes('--workers') ? Number(args[args.indexOf('--workers') + 1]) : 1;
  for (const c of counts) results[`n${c}`] = await measure(c, workers);
  return { ...results, target: { rssPerInstanceMb: 2, functions: 5000 } };
}
