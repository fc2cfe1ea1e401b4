/**
 * Sandbox figures (host/isolate): creation with the full runtime vs a bare isolated-vm
 * isolate + context (baseline, same run), cold start after acquire (load + first
 * invoke), warm invoke, and RSS per idle sandbox vs per bare isolate.
 * `npm run bench -- sandbox [--json]`
 */
import ivm from 'isolated-vm';
import { createIsotelSandbox } from '../host/isolate/sandbox.js';
import { loadRuntime } from '../host/isolate/runtime-bundle.js';

const SRC = `export default { async fetch(request, env) { const u = new URL(request.url); return new Response('hello ' + u.pathname, { headers: { 'content-type': 'text/plain' } }); } }`;
const BARE_SRC = `export default { fetch(request) { const i = request.url.indexOf('/', 8); return 'hello ' + request.url.slice(i); } }`;
const REQ = { method: 'GET', url: 'http://127.0.0.1:8787/hello/x', headers: [['accept', '*/*']] as Array<[string, string]>, body: null };

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const ms = (ns: bigint) => Number(ns) / 1e6;
const gc = () => (globalThis as { gc?: () => void }).gc?.();

export default async function sandboxBench(): Promise<Record<string, unknown>> {
  const N = 60;
  // warm up both paths
  for (let i = 0; i < 5; i++) { (await createIsotelSandbox({ memoryLimitMb: 64 })).dispose(); const iso = new ivm.Isolate({ memoryLimit: 64 }); await iso.createContext(); iso.dispose(); }

  const bare: number[] = [], full: number[] = [], cold: number[] = [], warm: number[] = [], bareCold: number[] = [];
  for (let i = 0; i < N; i++) {
    let t = process.hrtime.bigint();
    const iso = new ivm.Isolate({ memoryLimit: 64 });
    const ctx = await iso.createContext();
    bare.push(ms(process.hrtime.bigint() - t));
    // baseline cold start: the same handler in a bare pre-created isolate, called with a plain object (no Web APIs)
    t = process.hrtime.bigint();
    const mod = await iso.compileModule(BARE_SRC, { filename: 'hello.js' });
    await mod.instantiate(ctx, () => { throw new Error('no imports'); });
    await mod.evaluate();
    const fetchRef = (await ctx.evalClosure('return $0.default.fetch', [mod.namespace.derefInto()], { result: { reference: true } })) as ivm.Reference<(r: unknown) => string>;
    await fetchRef.apply(undefined, [{ method: 'GET', url: REQ.url }], { arguments: { copy: true }, result: { copy: true } });
    bareCold.push(ms(process.hrtime.bigint() - t));
    ctx.release(); iso.dispose();

    t = process.hrtime.bigint();
    const sb = await createIsotelSandbox({ memoryLimitMb: 64 });
    full.push(ms(process.hrtime.bigint() - t));
    t = process.hrtime.bigint();
    await sb.load(SRC, { filename: 'hello.js' });
    await sb.invoke(REQ, { invocationId: `c${i}` });
    cold.push(ms(process.hrtime.bigint() - t));
    for (let j = 0; j < 20; j++) {
      t = process.hrtime.bigint();
      await sb.invoke(REQ, { invocationId: `w${i}-${j}` });
      warm.push(ms(process.hrtime.bigint() - t));
    }
    sb.dispose();
  }
  console.error(`sandbox: ${N} rounds done; measuring resident memory`);

  // RSS per resident idle isolate: bare vs full runtime
  const M = 100;
  gc(); await new Promise((r) => setTimeout(r, 200));
  let rss0 = process.memoryUsage().rss;
  const isos: ivm.Isolate[] = [];
  for (let i = 0; i < M; i++) { const iso = new ivm.Isolate({ memoryLimit: 64 }); await iso.createContext(); isos.push(iso); }
  gc(); await new Promise((r) => setTimeout(r, 200));
  const bareRss = (process.memoryUsage().rss - rss0) / M;
  for (const iso of isos) iso.dispose();
  gc(); await new Promise((r) => setTimeout(r, 300));
  rss0 = process.memoryUsage().rss;
  const sbs = [];
  for (let i = 0; i < M; i++) sbs.push(await createIsotelSandbox({ memoryLimitMb: 64 }));
  gc(); await new Promise((r) => setTimeout(r, 200));
  const fullRss = (process.memoryUsage().rss - rss0) / M;
  const heap = await sbs[0]!.heapStatistics();
  for (const s of sbs) s.dispose();

  const rt = loadRuntime();
  return {
    runtimeBundleBytes: rt.bytes,
    runtimeCodeCacheBytes: rt.cache?.byteLength ?? 0,
    bareIsolateCreateP50Ms: +pct(bare, 50).toFixed(3),
    sandboxCreateP50Ms: +pct(full, 50).toFixed(3),
    sandboxCreateP90Ms: +pct(full, 90).toFixed(3),
    sandboxCreateVsBare: +(pct(full, 50) / pct(bare, 50)).toFixed(2),
    bareColdStartP50Ms: +pct(bareCold, 50).toFixed(3),
    coldLoadAndFirstInvokeP50Ms: +pct(cold, 50).toFixed(3),
    coldStartAddedByRuntimeP50Ms: +(pct(cold, 50) - pct(bareCold, 50)).toFixed(3),
    coldLoadAndFirstInvokeP90Ms: +pct(cold, 90).toFixed(3),
    warmInvokeP50Ms: +pct(warm, 50).toFixed(3),
    warmInvokeP99Ms: +pct(warm, 99).toFixed(3),
    rssPerBareIsolateMiB: +(bareRss / 2 ** 20).toFixed(2),
    rssPerIdleSandboxMiB: +(fullRss / 2 ** 20).toFixed(2),
    idleSandboxHeapUsedMiB: +(heap.usedHeapSize / 2 ** 20).toFixed(2),
    idleSandboxHeapTotalMiB: +(heap.totalHeapSize / 2 ** 20).toFixed(2),
  };
}
