/**
 * ClickHouse as a server (ISOTEL_CLICKHOUSE_URL, the ordinary @clickhouse/client HTTP
 * path, segments sent as FORMAT RowBinary): the server dies, the collector keeps
 * acknowledging into its durable queue, the server comes back, and every acknowledged
 * span is inserted exactly once. The server is a test-only chDB-backed HTTP stand-in
 * in a child process that the test kills and restarts on the same port.
 */
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestCollector, tempDir } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));

function server(dataDir: string, port = 0): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(join(here, 'fixtures/chdb-http-server.js'), [dataDir, String(port)], { execArgv: ['--no-node-snapshot'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve({ child, port: m.port }));
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
}

const spans = (req: number) =>
  JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fn-remote' } }] },
        scopeSpans: [{ spans: Array.from({ length: 10 }, (_, i) => ({ traceId: (req + 1).toString(16).padStart(32, '0'), spanId: (req * 100 + i + 1).toString(16).padStart(16, '0'), name: 'fn-remote', kind: 2, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000002000000' })) }],
      },
    ],
  });

test('remote ClickHouse down and back: acknowledged spans are inserted exactly once', { timeout: 120_000 }, async () => {
  const serverDir = tempDir('isotel-chdb-server-');
  let srv = await server(serverDir);
  const c = await startTestCollector({ ISOTEL_CLICKHOUSE_URL: `http://127.0.0.1:${srv.port}`, ISOTEL_COLLECTOR_INSERT_RETRY_MAX_MS: '200' });
  try {
    const send = async (req: number) => {
      const r = await fetch(c.otlp('/v1/traces'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: spans(req) });
      await r.arrayBuffer();
      return r.status;
    };
    for (let i = 0; i < 10; i++) assert.equal(await send(i), 200);
    assert.equal(await c.waitFor("SELECT count() FROM otel_traces WHERE ServiceName = 'fn-remote'", 100), 100);

    // The server dies: requests are still acknowledged (durable queue), inserts retry.
    srv.child.kill('SIGKILL');
    await new Promise((r) => srv.child.once('exit', r));
    for (let i = 10; i < 30; i++) assert.equal(await send(i), 200);
    await new Promise((r) => setTimeout(r, 800));
    const metrics = await (await fetch(`http://127.0.0.1:${c.handle.ports.viewer}/metrics`)).text();
    assert.match(metrics, /isotel_collector_insert_failures_total [1-9]/);
    assert.match(metrics, /isotel_collector_queue_bytes [1-9]/);

    // Back on the same port with the same data: the queue drains into it.
    srv = await server(serverDir, srv.port);
    assert.equal(await c.waitFor("SELECT count() FROM otel_traces WHERE ServiceName = 'fn-remote'", 300), 300);
    await new Promise((r) => setTimeout(r, 500));
    const [row] = await c.query<{ n: string; u: string }>("SELECT count() AS n, uniqExact(SpanId) AS u FROM otel_traces WHERE ServiceName = 'fn-remote'");
    assert.equal(Number(row!.n), 300);
    assert.equal(Number(row!.u), 300);
    const [inv] = await c.query<{ n: string }>("SELECT sum(Invocations) AS n FROM isotel_fn_minute WHERE ServiceName = 'fn-remote'");
    assert.equal(Number(inv!.n), 300);
  } finally {
    await c.close();
    srv.child.kill('SIGKILL');
    rmSync(serverDir, { recursive: true, force: true });
  }
});
