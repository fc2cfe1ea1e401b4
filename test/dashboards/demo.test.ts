/** `npm run demo`: bounded traffic built from the examples' "Try it" lines, against a recording stand-in gateway. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/processes.js';

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts/demo.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('the demo sends every example request for the time asked, with captured tokens and bodies', async () => {
  const seen: { method: string; path: string; auth: string; bytes: number }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      seen.push({ method: req.method!, path: req.url!, auth: String(req.headers.authorization ?? ''), bytes });
      res.setHeader('content-type', 'application/json');
      res.end(req.url === '/crypto/token' ? '{"token":"tok-123"}' : '{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const r = await run(['--seconds', '3', '--rate', '40', '--gateway', `http://127.0.0.1:${port}`, '--viewer', 'http://127.0.0.1:1']);
    assert.equal(r.code, 0, r.stderr);
    const traffic = seen.filter((s) => s.path !== '/_isotel/health');
    assert.ok(traffic.length >= 60 && traffic.length <= 130, `about 3 s × 40 req/s, got ${traffic.length}`);
    const functions = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3));
    for (const fn of functions) assert.ok(traffic.some((s) => s.path.startsWith(`/${fn}/`)), `traffic reaches ${fn}`);
    const me = traffic.filter((s) => s.path === '/crypto/me');
    assert.ok(me.length > 0 && me.every((s) => s.auth === 'Bearer tok-123'), 'the token captured from /crypto/token is sent');
    const uploads = traffic.filter((s) => s.method === 'POST' && s.path === '/crypto/sha256');
    assert.ok(uploads.length > 0 && uploads.every((s) => s.bytes > 0), '--data-binary @file sends a body');
    assert.match(r.stdout, /sent \d+ requests/);
  } finally {
    server.close();
  }
});

test('no gateway: a clear error and exit code 2', async () => {
  const r = await run(['--seconds', '1', '--gateway', 'http://127.0.0.1:9']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no isotel gateway at http:\/\/127\.0\.0\.1:9/);
  const bad = await run(['--rate', 'fast']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--rate must be a number/);
});
