/**
 * `isotel tail [function]`: a live stream of invocations and log lines, like
 * `wrangler tail`, fed from the collector (GET /api/tail on the viewer port).
 *
 * Spans reach ClickHouse a second or two after they start (export batching, the
 * collector's insert batching), and not in order, so each poll re-reads a short
 * look-back window and drops what it already printed (by span id / log id). When a
 * poll comes back full, the window moves to the newest event instead, and the skipped
 * late arrivals are counted on stderr rather than silently lost.
 */
import { IsotelError } from '../../common/errors.js';

export interface TailOptions {
  viewerUrl: string;
  json?: boolean;
  /** Stops the stream (default: SIGINT / SIGTERM). */
  signal?: AbortSignal;
  /** Where lines go (default stdout). */
  write?: (line: string) => void;
  pollMs?: number;
}

interface Invocation {
  time_ns: string;
  id: string;
  trace_id: string;
  function: string;
  version: string;
  duration_ns: number;
  status: string;
  http_status: string;
  cold: boolean;
  method: string;
  path: string;
  error_code: string;
}
interface LogLine {
  time_ns: string;
  id: string;
  trace_id: string;
  function: string;
  version: string;
  level: string;
  body: string;
}
interface TailResponse {
  now: number;
  invocations: Invocation[];
  logs: LogLine[];
}

const LIMIT = 500;
const LOOKBACK_MS = 30_000;
const NAME = /^[a-z][a-z0-9-]{0,62}$/;

const msOf = (ns: string): number => Number(BigInt(ns) / 1_000_000n);

function colors(enabled: boolean) {
  const c = (code: string) => (s: string) => (enabled ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { dim: c('2'), red: c('31'), green: c('32'), yellow: c('33'), cyan: c('36'), bold: c('1') };
}

function clock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function duration(ns: number): string {
  const ms = ns / 1e6;
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms >= 100 ? 0 : 1)} ms`;
}

export function formatInvocation(e: Invocation, color: boolean): string {
  const k = colors(color);
  const code = e.http_status || (e.status === 'Error' ? 'ERR' : '-');
  const status = e.status === 'Error' || /^5/.test(code) ? k.red(code) : /^4/.test(code) ? k.yellow(code) : k.green(code);
  const start = e.cold ? k.yellow('cold') : k.dim('warm');
  const err = e.error_code ? ` ${k.red(e.error_code)}` : '';
  return `${k.dim(clock(msOf(e.time_ns)))}  ${k.bold(e.function)}@${e.version || '?'}  ${e.method} ${e.path}  ${status}  ${duration(e.duration_ns).padStart(9)}  ${start}${err}`;
}

export function formatLog(l: LogLine, color: boolean): string {
  const k = colors(color);
  const lv = (l.level || 'LOG').toUpperCase();
  const level = /ERROR|FATAL/.test(lv) ? k.red(lv) : /WARN/.test(lv) ? k.yellow(lv) : k.cyan(lv);
  return `${k.dim(clock(msOf(l.time_ns)))}  ${k.bold(l.function)}@${l.version || '?'}  ${k.dim('│')} [${level}] ${l.body}`;
}

export async function tailCommand(fn: string | undefined, opts: TailOptions): Promise<void> {
  if (fn !== undefined && !NAME.test(fn)) throw new IsotelError('ISOTEL_ERR_FUNCTION_INVALID_NAME', `"${fn}" is not a function name`);
  let base: URL;
  try {
    base = new URL('/api/tail', opts.viewerUrl);
  } catch {
    throw new IsotelError('ISOTEL_ERR_CONFIG_INVALID', `--viewer-url ${JSON.stringify(opts.viewerUrl)} is not a URL`);
  }
  const write = opts.write ?? ((line: string) => void process.stdout.write(line + '\n'));
  const color = !opts.json && !opts.write && process.stdout.isTTY === true && !process.env.NO_COLOR;
  const pollMs = opts.pollMs ?? 1000;
  const ac = new AbortController();
  const signal = opts.signal ?? ac.signal;
  const onSignal = (): void => ac.abort();
  if (!opts.signal) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }

  const started = Date.now();
  let since = started - 5_000;
  const seen = new Map<string, number>(); // id → event time (ms), pruned behind the window
  let connected = false;
  let failures = 0;
  let skipped = 0;
  if (!opts.json) process.stderr.write(`tailing ${fn ?? 'all functions'} from ${opts.viewerUrl} (Ctrl-C to stop)\n`);

  try {
    while (!signal.aborted) {
      const url = new URL(base);
      url.searchParams.set('since', String(since));
      url.searchParams.set('limit', String(LIMIT));
      if (fn) url.searchParams.set('function', fn);
      let body: TailResponse;
      try {
        const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(15_000)]) });
        const json = (await res.json()) as TailResponse & { error?: { code: string; message: string } };
        if (!res.ok) throw new IsotelError('ISOTEL_ERR_TAIL_UNREACHABLE', `${url.origin} answered ${res.status}: ${json.error?.message ?? res.statusText}`);
        body = json;
        connected = true;
        failures = 0;
      } catch (e) {
        if (signal.aborted) break;
        if (!connected) throw e instanceof IsotelError ? e : new IsotelError('ISOTEL_ERR_TAIL_UNREACHABLE', `cannot reach the collector viewer at ${opts.viewerUrl}: ${(e as Error).message}`, { cause: e });
        // Once streaming, a collector restart is waited out, not fatal.
        if (failures++ === 0) process.stderr.write(`isotel tail: lost the collector (${(e as Error).message}); retrying…\n`);
        await sleep(Math.min(10_000, pollMs * 2 ** Math.min(failures, 4)), signal);
        continue;
      }
      const events: { t: number; ns: bigint; line: string }[] = [];
      let newest = since;
      for (const e of body.invocations) {
        const t = msOf(e.time_ns);
        newest = Math.max(newest, t);
        if (seen.has(`s:${e.id}`)) continue;
        seen.set(`s:${e.id}`, t);
        events.push({ t, ns: BigInt(e.time_ns), line: opts.json ? JSON.stringify({ type: 'invocation', time: new Date(t).toISOString(), ...e }) : formatInvocation(e, color) });
      }
      for (const l of body.logs) {
        const t = msOf(l.time_ns);
        newest = Math.max(newest, t);
        if (seen.has(`l:${l.id}`)) continue;
        seen.set(`l:${l.id}`, t);
        events.push({ t, ns: BigInt(l.time_ns), line: opts.json ? JSON.stringify({ type: 'log', time: new Date(t).toISOString(), ...l }) : formatLog(l, color) });
      }
      events.sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0));
      for (const e of events) write(e.line);
      const full = body.invocations.length >= LIMIT || body.logs.length >= LIMIT;
      if (full) {
        // More than a poll's worth: move on to the newest event; late arrivals before it are skipped.
        skipped++;
        if (skipped === 1 || skipped % 60 === 0) process.stderr.write(`isotel tail: more than ${LIMIT} events per poll; late-arriving events may be skipped (narrow with a function name)\n`);
        since = newest;
      } else since = Math.max(started - 5_000, Math.min(newest, body.now) - LOOKBACK_MS);
      for (const [id, t] of seen) if (t < since - 1000) seen.delete(id);
      await sleep(pollMs, signal);
    }
  } finally {
    if (!opts.signal) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
