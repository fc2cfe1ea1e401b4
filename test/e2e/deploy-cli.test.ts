/** `isotel deploy` against a running host: files (TypeScript with relative imports), directories, bad code. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { isotel, tempDir } from '../helpers/processes.js';

let host: TestHost;
before(async () => {
  host = await startTestHost();
});
after(async () => {
  await host?.close();
});

const deploy = (...args: string[]) => isotel(['deploy', ...args, '--host', host.url, '--data-dir', host.dataDir]);

test('deploys a TypeScript file with a relative import, under --name', async () => {
  const dir = tempDir('isotel-src-');
  writeFileSync(join(dir, 'greeting.ts'), 'export function greet(name: string): string {\n  return `hi ${name}`;\n}\n');
  writeFileSync(join(dir, 'api.ts'), "import { greet } from './greeting';\nexport default {\n  fetch(request: Request): Response {\n    return new Response(greet(new URL(request.url).searchParams.get('n') ?? 'x'));\n  },\n};\n");
  const r = await deploy(join(dir, 'api.ts'), '--name', 'api', '--limit', 'wallMs=5000', '--env', 'MODE=test');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^deployed\s+api\s+version [0-9a-f]{12}\s+http:\S+\/api\//m);
  assert.equal(await (await host.get('/api/?n=ts')).text(), 'hi ts');
  const info = await host.admin('GET', '/functions/api');
  assert.equal((info.body.current as { limits: { wallMs: number } }).limits.wallMs, 5000);
  assert.deepEqual((info.body.current as { env: string[] }).env, ['MODE']);
  const again = await deploy(join(dir, 'api.ts'), '--name', 'api', '--limit', 'wallMs=5000', '--env', 'MODE=test');
  assert.match(again.stdout, /^unchanged\s+api/m);
});

test('deploys every function in a directory and reports the broken one with file and line', async () => {
  const dir = tempDir('isotel-dir-');
  writeFileSync(join(dir, 'one.js'), 'export default { fetch() { return new Response("one"); } };\n');
  mkdirSync(join(dir, 'two'));
  writeFileSync(join(dir, 'two/index.ts'), 'export default { fetch(): Response { return new Response("two"); } };\n');
  writeFileSync(join(dir, 'bad.ts'), 'export default {\n  fetch() {\n    return new Response("x" ;\n  },\n};\n');
  const r = await deploy(dir);
  assert.equal(r.code, 1, 'one function failed');
  assert.match(r.stderr, /failed\s+bad\s+.*bad\.ts:3:\d+: Expected "\)" but found ";"/);
  assert.equal(await (await host.get('/one/')).text(), 'one');
  assert.equal(await (await host.get('/two/')).text(), 'two');
});

test('without the right token nothing is deployed', async () => {
  const dir = tempDir('isotel-tok-');
  writeFileSync(join(dir, 'sneaky.js'), 'export default { fetch() { return new Response("no"); } };\n');
  const r = await isotel(['deploy', join(dir, 'sneaky.js'), '--host', host.url, '--token', 'not-the-token']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /ISOTEL_ERR_ADMIN_UNAUTHORIZED/);
  assert.equal((await host.get('/sneaky/')).status, 404);
});
