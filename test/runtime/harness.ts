/**
 * Runs conformance checks inside a real isolate (the `isotel run` path: a fresh
 * sandbox, a classic script). The script gets a tiny harness: `test(name, fn)` (fn
 * may be async), `eq(a, b)`, `ok(v)`, `throws(fn, name)`, `rejects(p, name)`.
 * Every test prints one line; the host asserts they all passed.
 */
import assert from 'node:assert/strict';
import { createIsotelSandbox } from '../../host/isolate/sandbox.js';

const PRELUDE = `
const __results = [];
function __fmt(v) { try { return typeof v === 'string' ? JSON.stringify(v) : (typeof v === 'bigint' ? v + 'n' : JSON.stringify(v) ?? String(v)); } catch { return String(v); } }
function eq(a, b, msg) { if (!(Object.is(a, b) || (typeof a === 'object' && a !== null && JSON.stringify(a) === JSON.stringify(b)))) throw new Error((msg ? msg + ': ' : '') + 'expected ' + __fmt(b) + ', got ' + __fmt(a)); }
function ok(v, msg) { if (!v) throw new Error(msg || 'expected a truthy value'); }
function throws(fn, name, msg) { try { fn(); } catch (e) { if (name && e?.name !== name) throw new Error((msg ? msg + ': ' : '') + 'expected ' + name + ', got ' + e?.name + ': ' + e?.message); return e; } throw new Error((msg ? msg + ': ' : '') + 'expected a throw' + (name ? ' (' + name + ')' : '')); }
async function rejects(p, name, msg) { try { await (typeof p === 'function' ? p() : p); } catch (e) { if (name && e?.name !== name) throw new Error((msg ? msg + ': ' : '') + 'expected ' + name + ', got ' + e?.name + ': ' + e?.message); return e; } throw new Error((msg ? msg + ': ' : '') + 'expected a rejection' + (name ? ' (' + name + ')' : '')); }
const __queue = [];
function test(name, fn) { __queue.push([name, fn]); }
setTimeout(async () => {
  for (const [name, fn] of __queue) {
    try { await fn(); console.log('ok ' + name); } catch (e) { console.log('FAIL ' + name + ': ' + (e && e.stack || e)); }
  }
  console.log('done ' + __queue.length);
}, 0);
`;

export interface RunResult { lines: string[]; errors: string[]; uncaught: number }

/** Runs `source` (with the harness prelude) as a classic script in a fresh sandbox. */
export async function runInIsolate(source: string, opts: { prelude?: boolean; memoryLimitMb?: number } = {}): Promise<RunResult> {
  const lines: string[] = [];
  const errors: string[] = [];
  let uncaught = 0;
  const sandbox = await createIsotelSandbox({
    memoryLimitMb: opts.memoryLimitMb ?? 128,
    onConsole: (r) => (r.severityNumber >= 13 ? errors : lines).push(r.message),
    onUncaught: () => { uncaught++; },
  });
  try {
    await sandbox.runScript((opts.prelude === false ? '' : PRELUDE) + source, 'conformance.js');
  } finally {
    sandbox.dispose();
  }
  return { lines, errors, uncaught };
}

/** Runs a harness script and asserts every test in it passed. */
export async function conformance(source: string): Promise<void> {
  const { lines, errors, uncaught } = await runInIsolate(source);
  const failures = lines.filter((l) => l.startsWith('FAIL'));
  assert.deepEqual(failures, [], failures.join('\n'));
  assert.deepEqual(errors, [], errors.join('\n'));
  assert.equal(uncaught, 0);
  const done = lines.find((l) => l.startsWith('done '));
  assert.ok(done, `the script did not finish: ${lines.slice(-3).join(' | ')}`);
  const n = Number(done.slice(5));
  assert.equal(lines.filter((l) => l.startsWith('ok ')).length, n);
  assert.ok(n > 0);
}
