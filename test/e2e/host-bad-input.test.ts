/**
 * Bad input at the host gets clear errors: a function with a syntax error is
 * reported at deploy with file and line while the others still deploy; an unknown
 * function is a 404 with a JSON body; a port in use is reported by name.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { isotel, runIsotel, tempDir } from '../helpers/processes.js';

function functionsDir(): string {
  const dir = tempDir('isotel-fns-');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'good.js'), `export default { fetch() { return new Response('good'); } };\n`);
  writeFileSync(join(dir, 'broken.js'), `export default {\n  fetch() {\n    return new Response('x' ;\n  },\n};\n`);
  writeFileSync(join(dir, 'throws.js'), `const config = JSON.parse('{not json');\nexport default { fetch() { return new Response(config); } };\n`);
  return dir;
}

test('a syntax error is reported with file and line; the other functions still deploy and answer', async () => {
  const dir = functionsDir();
  const host = runIsotel(['host', '--data-dir', tempDir(), '--port', '0', '--deploy', dir], { ISOTEL_TELEMETRY: 'false' });
  try {
    const url = (await host.waitFor(/host ready url=(\S+)/, 60_000, 'stderr'))[1]!;
    const err = host.stderr();
    assert.match(err, /deploy of broken failed: .*broken\.js:3:\d+: Expected "\)" but found ";"/);
    assert.match(err, /deploy of throws failed: .*SyntaxError/);
    const good = await fetch(`${url}/good/`);
    assert.equal(await good.text(), 'good');
    for (const path of ['/%E0%A4%A/', '/', '/..%2f..%2fetc/', '/_isotel/nope', `/${'x'.repeat(300)}/`]) {
      const res = await fetch(`${url}${path}`);
      assert.ok([400, 401, 404].includes(res.status), `${path} → ${res.status}`);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/, path);
      const body = (await res.json()) as { error?: { code?: string } };
      assert.match(String(body.error?.code), /^ISOTEL_ERR_/, `${path}: ${JSON.stringify(body)}`);
    }
    const broken = await fetch(`${url}/broken/`);
    assert.equal(broken.status, 404);
    const body = (await broken.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'ISOTEL_ERR_FUNCTION_NOT_FOUND');
  } finally {
    await host.stop();
  }
});

test('a port in use is reported by name, with how to change it', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  try {
    const r = await isotel(['host', '--data-dir', tempDir(), '--port', String(port)], { ISOTEL_TELEMETRY: 'false' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`gateway port ${port} on 127\\.0\\.0\\.1 is already in use.*--port or ISOTEL_GATEWAY_PORT`));
  } finally {
    blocker.close();
  }
});

test('an invalid setting names the variable', async () => {
  const r = await isotel(['host', '--data-dir', tempDir()], { ISOTEL_FUNCTION_MEMORY_MB: 'lots' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /ISOTEL_FUNCTION_MEMORY_MB="lots" is not an integer/);
});
