// Hazard: code that never yields. isolated-vm's timeouts cover only synchronous
// evaluation, so the host stops a running invocation by aborting it and disposing the
// sandbox; the process and other sandboxes are unaffected.
import assert from 'node:assert/strict';
import test from 'node:test';
import { IsotelError } from '../../common/errors.js';
import { createIsotelSandbox } from '../../host/isolate/sandbox.js';
import { bodyText, id, loaded, req } from './helpers.js';

const code = (c: string) => (e: unknown) => e instanceof IsotelError && e.code === c;

test('a handler stuck in a loop: abort + dispose ends it; cpu time shows the burn; a neighbour keeps serving', async () => {
  const { sandbox } = await loaded(`export default { fetch() { for (;;) {} } }`);
  const neighbour = await loaded(`export default { fetch() { return new Response('fine'); } }`);
  const ac = new AbortController();
  const p = sandbox.invoke(req(), { invocationId: id(), signal: ac.signal });
  const before = sandbox.cpuTimeNs();
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(sandbox.cpuTimeNs() - before > 20_000_000n, 'the loop burns CPU the host can see');
  assert.equal(await bodyText(await neighbour.sandbox.invoke(req(), { invocationId: id() })), 'fine');
  ac.abort(new Error('wall time'));
  await assert.rejects(p, code('ISOTEL_ERR_INVOKE_ABORTED'));
  sandbox.dispose();
  assert.equal(sandbox.disposed, true);
  assert.equal(await bodyText(await neighbour.sandbox.invoke(req(), { invocationId: id() })), 'fine');
  neighbour.sandbox.dispose();
});

test('a microtask loop is stopped by dispose too', async () => {
  const { sandbox } = await loaded(`export default { fetch() { const spin = () => Promise.resolve().then(spin); spin(); return new Promise(() => {}); } }`);
  const p = sandbox.invoke(req(), { invocationId: id() });
  await new Promise((r) => setTimeout(r, 50));
  sandbox.dispose();
  await assert.rejects(p, code('ISOTEL_ERR_SANDBOX_DISPOSED'));
});

test('a top level that never finishes is an evaluate error after its timeout', async () => {
  const sb = await createIsotelSandbox({ memoryLimitMb: 32 });
  await assert.rejects(sb.load('while (true) {}\nexport default { fetch() {} }', { filename: 'spin.js', evaluateTimeoutMs: 50 }), (e: unknown) => {
    assert.ok(e instanceof IsotelError);
    assert.equal(e.code, 'ISOTEL_ERR_DEPLOY_EVALUATE');
    assert.match(e.message, /longer than 50 ms/);
    return true;
  });
  sb.dispose();
});

test('the script form (registry output) has the same evaluate timeout', async () => {
  const sb = await createIsotelSandbox({ memoryLimitMb: 32 });
  await assert.rejects(sb.load('(function (require) { for (;;) {} })', { filename: 'spin.js', format: 'script', evaluateTimeoutMs: 50 }), (e: unknown) => e instanceof IsotelError && e.code === 'ISOTEL_ERR_DEPLOY_EVALUATE' && /longer than 50 ms/.test(e.message));
  sb.dispose();
});
