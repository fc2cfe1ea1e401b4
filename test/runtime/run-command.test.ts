// `isotel run`: a real child process through bin/isotel.js, as the WPT review will use it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../../bin/isotel.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'isotel-run-'));
function run(name: string, source: string, args: string[] = []) {
  const file = join(dir, name);
  writeFileSync(file, source);
  const r = spawnSync(process.execPath, [bin, 'run', file, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('console lines in order, timers and promises awaited, exit 0', () => {
  const r = run('order.js', `
    console.log('1 sync');
    setTimeout(() => console.log('4 timer 20'), 20);
    setTimeout(() => { console.log('3 timer 0'); Promise.resolve().then(() => console.log('3b micro in timer')); }, 0);
    queueMicrotask(() => console.log('2 microtask'));
    const iv = setInterval(() => { console.log('5 interval'); clearInterval(iv); }, 30);
    fetch('http://127.0.0.1:9/').catch(() => setTimeout(() => console.log('6 after a failed fetch'), 40));
    console.warn('warning goes to stderr');
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['1 sync', '2 microtask', '3 timer 0', '3b micro in timer', '4 timer 20', '5 interval', '6 after a failed fetch']);
  assert.equal(r.stderr.trim(), 'warning goes to stderr');
});

test('an AbortSignal.timeout does not keep the run waiting', () => {
  const started = Date.now();
  const r = run('weak.js', `const s = AbortSignal.timeout(60000); s.onabort = () => console.log('never'); console.log('done');`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'done');
  assert.ok(Date.now() - started < 30000);
});

test('an uncaught error exits 1 and prints it', () => {
  const r = run('throw.js', `console.log('before'); setTimeout(() => { throw new RangeError('boom'); }, 5);`);
  assert.equal(r.code, 1);
  assert.equal(r.stdout.trim(), 'before');
  assert.match(r.stderr, /Uncaught RangeError: boom/);
});

test('a top-level throw exits 1; later statements do not run', () => {
  const r = run('top.js', `console.log('a'); null.x; console.log('b');`);
  assert.equal(r.code, 1);
  assert.equal(r.stdout.trim(), 'a');
  assert.match(r.stderr, /Uncaught TypeError/);
});

test('an unhandled rejection exits 1; a handled one does not', () => {
  const bad = run('rej.js', `setTimeout(() => { Promise.reject(new Error('nobody')); }, 1);`);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Uncaught \(in promise\) Error: nobody/);
  const good = run('rej-ok.js', `addEventListener('unhandledrejection', (e) => { console.log('seen', e.reason.message); e.preventDefault(); }); setTimeout(() => { Promise.reject(new Error('handled')); }, 1);`);
  assert.equal(good.code, 0, good.stderr);
  assert.equal(good.stdout.trim(), 'seen handled');
  const caught = run('rej-caught.js', `Promise.reject(new Error('x')).catch(() => console.log('caught'));`);
  assert.equal(caught.code, 0, caught.stderr);
});

test('an error event listener that cancels the error keeps exit 0', () => {
  const r = run('onerror.js', `onerror = (msg) => { console.log('onerror', msg); return true; }; setTimeout(() => { throw new Error('x'); });`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'onerror Uncaught Error: x');
});

test('--module runs an ES module; a syntax error is reported with its location', () => {
  const m = run('mod.mjs', `import { name } from 'isotel:runtime'; const x = await Promise.resolve(name); console.log('module', x);`, ['--module']);
  assert.equal(m.code, 0, m.stderr);
  assert.equal(m.stdout.trim(), 'module isotel');
  const s = run('syntax.js', `let a = ;`);
  assert.equal(s.code, 1);
  assert.match(s.stderr, /syntax\.js:1:9/);
});

test('a missing file exits 1 with a clear message', () => {
  const r = spawnSync(process.execPath, [bin, 'run', join(dir, 'nope.js')], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot read .*nope\.js.*ISOTEL_ERR_RUN_FILE/);
});
