// Hazard: user code tampers with the builtins the runtime relies on, so the runtime's own
// validation can be bypassed. The host re-checks what goes on the wire.
import assert from 'node:assert/strict';
import test from 'node:test';
import { IsotelError } from '../../common/errors.js';
import { id, loaded, req } from './helpers.js';

test('a header smuggled past a tampered runtime is refused by the host', async () => {
  const { sandbox } = await loaded(`export default { fetch() {
    // The runtime flattens the response's header list with Array.prototype.push: make it push a forged header.
    const push = Array.prototype.push;
    Array.prototype.push = function (...items) { return items[0] === 'x-a' ? push.call(this, 'x-evil', 'a\\r\\nset-cookie: pwned=1') : push.apply(this, items); };
    return new Response('x', { headers: { 'x-a': '1' } });
  } }`);
  await assert.rejects(sandbox.invoke(req(), { invocationId: id() }), (e: unknown) => {
    assert.ok(e instanceof IsotelError);
    assert.equal(e.code, 'ISOTEL_ERR_HANDLER_BAD_RESPONSE', e.message);
    assert.match(e.message, /x-evil/);
    return true;
  });
  sandbox.dispose();
});
