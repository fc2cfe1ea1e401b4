import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
/** Small statistics helpers shared by the benchmarks. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function summary(values: readonly number[], digits = 3): { p50: number; p90: number; p99: number; mean: number; n: number } {
  const s = [...values].sort((a, b) => a - b);
  const r = (x: number): number => Number(x.toFixed(digits));
  return { p50: r(quantile(s, 0.5)), p90: r(quantile(s, 0.9)), p99: r(quantile(s, 0.99)), mean: r(s.reduce((a, b) => a + b, 0) / s.length), n: s.length };
}

export function log(line: string): void {
  process.stderr.write(line + '\n');
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
export async function cpuSeconds(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15 of stat)
  return ticks / 100; // USER_HZ is 100 on Linux
}

export async function rssBytes(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Child process ids of a process (a host's workers), from /proc. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export interface LoadResult { requests: number; errors: number; rps: number; p50Ms: number; p99Ms: number }

/** Runs the load generator (bench/_load.mjs, its own process) against `url` and returns what it measured. */
export async function runLoad(url: string, connections: number, seconds: number): Promise<LoadResult> {
  const script = fileURLToPath(new URL('../../bench/_load.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, url, String(connections), String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((r) => child.once('exit', r));
  return JSON.parse(out.trim()) as LoadResult;
}
