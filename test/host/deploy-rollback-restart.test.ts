/**
 * Deploys through the admin API: immutable versions, atomic swap (in-flight
 * requests finish on the old version), rollback, refusal of broken code with the
 * previous version still serving, 401 without the token, and restore on restart.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startTestHost } from '../helpers/host.js';

const v = (body: string, delayMs = 0): string =>
  `export default { async fetch() { ${delayMs ? `await new Promise((r) => setTimeout(r, ${delayMs}));` : ''} return new Response(${JSON.stringify(body)}); } };`;

test('deploy, swap with a request in flight, roll back, refuse broken code, restore after restart', async () => {
  const host = await startTestHost();
  try {
    assert.equal(statSync(join(host.dataDir, 'admin-token')).mode & 0o777, 0o600, 'the admin token is private to its owner');

    const first = await host.deploy('greet', v('v1', 400));
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const v1 = first.body.version as string;
    assert.match(v1, /^[0-9a-f]{12}$/);
    assert.equal(await (await host.get('/greet/')).text(), 'v1');

    // A slow v1 request is in flight while v2 is deployed: it finishes on v1, new requests get v2.
    const inFlight = host.get('/greet/').then((r) => r.text());
    await new Promise((r) => setTimeout(r, 100));
    const second = await host.deploy('greet', v('v2'));
    assert.equal(second.status, 201);
    const v2 = second.body.version as string;
    assert.notEqual(v1, v2);
    assert.equal(await (await host.get('/greet/')).text(), 'v2');
    assert.equal(await inFlight, 'v1');

    // The same code again is the same version: nothing changes.
    const same = await host.deploy('greet', v('v2'));
    assert.equal(same.status, 200);
    assert.equal(same.body.changed, false);

    // Broken code is refused with its location; v2 keeps serving.
    const broken = await host.deploy('greet', 'export default { fetch() { return new Response("x" ; } };', { filename: 'greet.js' });
    assert.equal(broken.status, 400);
    const err = broken.body.error as Record<string, unknown>;
    assert.equal(err.code, 'ISOTEL_ERR_DEPLOY_COMPILE');
    assert.equal(err.file, 'greet.js');
    assert.equal(err.line, 1);
    const throwing = await host.deploy('greet', 'const x = undefined;\nx.boom();\nexport default { fetch() { return new Response("y"); } };', { filename: 'greet.js' });
    assert.equal(throwing.status, 400);
    assert.equal((throwing.body.error as Record<string, unknown>).code, 'ISOTEL_ERR_DEPLOY_EVALUATE');
    assert.equal((throwing.body.error as Record<string, unknown>).line, 2);
    assert.match(String((throwing.body.error as Record<string, unknown>).message), /^greet\.js:2:\d+: TypeError:/);
    assert.equal(await (await host.get('/greet/')).text(), 'v2');

    // Without the token: 401 and nothing changed.
    const sneaky = await fetch(`${host.url}/_isotel/functions/greet`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' }, body: JSON.stringify({ source: v('evil') }) });
    assert.equal(sneaky.status, 401);
    assert.equal(((await sneaky.json()) as { error: { code: string } }).error.code, 'ISOTEL_ERR_ADMIN_UNAUTHORIZED');
    const list = await fetch(`${host.url}/_isotel/functions`);
    assert.equal(list.status, 401);
    assert.equal(await (await host.get('/greet/')).text(), 'v2');

    // History and rollback.
    const info = await host.admin('GET', '/functions/greet');
    assert.deepEqual((info.body.versions as { version: string }[]).map((x) => x.version), [v2, v1]);
    const back = await host.admin('POST', '/functions/greet/rollback');
    assert.equal(back.status, 200);
    assert.equal(back.body.version, v1);
    assert.equal(await (await host.get('/greet/')).text(), 'v1');
    const forward = await host.admin('POST', '/functions/greet/rollback', { version: v2 });
    assert.equal(forward.body.version, v2);
    const missing = await host.admin('POST', '/functions/greet/rollback', { version: '000000000000' });
    assert.equal(missing.status, 404);
    assert.equal((missing.body.error as { code: string }).code, 'ISOTEL_ERR_VERSION_NOT_FOUND');
    await host.deploy('other', v('other'));
  } finally {
    await host.close();
  }

  // A restarted host serves exactly what was current before.
  const again = await startTestHost({}, host.dataDir);
  try {
    assert.equal(await (await again.get('/greet/')).text(), 'v2');
    assert.equal(await (await again.get('/other/')).text(), 'other');
    const del = await again.admin('DELETE', '/functions/other');
    assert.equal(del.status, 200);
    assert.equal((await again.get('/other/')).status, 404);
  } finally {
    await again.close();
  }
});

test('bad deploy requests are refused with what was wrong', async () => {
  const host = await startTestHost();
  try {
    const cases: [string, unknown, RegExp][] = [
      ['/functions/Bad_Name', { source: v('x') }, /invalid function name/],
      ['/functions/ok', { source: '' }, /"source" must be a non-empty string/],
      ['/functions/ok', { source: v('x'), limits: { cpuMs: -1 } }, /"limits\.cpuMs" must be an integer/],
      ['/functions/ok', { source: v('x'), limits: { bogus: 1 } }, /unknown limit "limits\.bogus"/],
      ['/functions/ok', { source: v('x'), env: { A: 1 } }, /env\.A must be a string/],
      ['/functions/ok', { source: v('x'), extra: true }, /unknown field "extra"/],
      ['/functions/ok', { source: 'export const notDefault = 1;' }, /fetch/],
    ];
    for (const [path, body, message] of cases) {
      const r = await host.admin('PUT', path, body);
      assert.ok(r.status >= 400 && r.status < 500, `${path} ${JSON.stringify(body)} → ${r.status}`);
      assert.match(String((r.body.error as { message: string }).message), message);
    }
    assert.equal((await host.get('/ok/')).status, 404, 'nothing was deployed');
  } finally {
    await host.close();
  }
});
