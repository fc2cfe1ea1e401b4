// Hazard: a function schedules timers without bound. Each holds host resources, so the
// runtime caps pending timers per isolate with a clear RangeError; the sandbox keeps serving.
import assert from 'node:assert/strict';
import test from 'node:test';
import { bodyText, id, loaded, req } from './helpers.js';

test('pending timers are bounded per isolate', async () => {
  const { sandbox } = await loaded(`export default { fetch() {
    let n = 0;
    try { for (;;) { setTimeout(() => {}, 60_000); n++; } } catch (e) { return Response.json({ n, name: e.name, message: e.message }); }
  } }`);
  const r = JSON.parse(await bodyText(await sandbox.invoke(req(), { invocationId: id() })));
  assert.equal(r.n, 10_000);
  assert.equal(r.name, 'RangeError');
  assert.match(r.message, /10000 timers are already pending/);
  sandbox.dispose(); // clears the 10 000 host timers: the test process exits promptly
});
