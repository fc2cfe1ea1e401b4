/**
 * Interop with Deno's built-in OpenTelemetry (OTEL_DENO=true, the binary from the
 * `deno` npm package): a Deno.serve request, a fetch and console.log are exported over
 * OTLP/HTTP protobuf; the spans, logs and metrics land in the exporter tables.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestCollector, tempDir, type TestCollector } from './helpers.js';

let c: TestCollector;
before(async () => {
  c = await startTestCollector();
});
after(async () => {
  await c.close();
});

const script = `
const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, (req) => {
  console.log('handled', new URL(req.url).pathname);
  return new Response('ok');
});
const res = await fetch('http://127.0.0.1:' + server.addr.port + '/hello?x=1');
await res.text();
await new Promise((r) => setTimeout(r, 2500)); // a few metric export intervals
await server.shutdown();
`;

test('Deno (OTEL_DENO=true) traces, logs and metrics', { timeout: 120_000 }, async () => {
  const dir = tempDir('isotel-deno-');
  const deno = createRequire(import.meta.url).resolve('deno/bin.cjs');
  writeFileSync(join(dir, 'main.ts'), script);
  // Asynchronous on purpose: the collector runs in this process, and a blocked event
  // loop would leave Deno's OTLP exports unanswered (its exit then waits on them).
  const child = spawn(process.execPath, [deno, 'run', '--allow-net', join(dir, 'main.ts')], {
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      DENO_DIR: join(dir, 'cache'),
      DENO_NO_UPDATE_CHECK: '1',
      OTEL_DENO: 'true',
      OTEL_SERVICE_NAME: 'deno-fn',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${c.handle.ports.otlpHttp}`,
      OTEL_METRIC_EXPORT_INTERVAL: '500',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.resume();
  const [code, signal] = await once(child, 'exit');
  rmSync(dir, { recursive: true, force: true });
  assert.equal(code, 0, `deno exited with ${code ?? signal}: ${stderr}`);

  assert.ok((await c.waitFor("SELECT count() FROM otel_traces WHERE ServiceName = 'deno-fn' AND SpanKind = 'Server'", 1)) >= 1);
  const [server] = await c.query<Record<string, any>>("SELECT * FROM otel_traces WHERE ServiceName = 'deno-fn' AND SpanKind = 'Server' LIMIT 1");
  assert.equal(server!.SpanName, 'GET');
  assert.equal(server!.SpanAttributes['url.path'], '/hello');
  assert.equal(server!.SpanAttributes['http.response.status_code'], '200');
  assert.equal(server!.ResourceAttributes['process.runtime.name'], 'deno');
  assert.match(server!.TraceId, /^[0-9a-f]{32}$/);
  const [client] = await c.query<Record<string, any>>("SELECT TraceId, SpanId FROM otel_traces WHERE ServiceName = 'deno-fn' AND SpanKind = 'Client' LIMIT 1");
  assert.ok(client, 'the fetch made a CLIENT span');
  assert.equal(server!.TraceId, client!.TraceId, 'the server span continues the fetch trace (W3C propagation)');

  // Deno's console capture keeps the line's newline in the body.
  assert.ok((await c.waitFor("SELECT count() FROM otel_logs WHERE ServiceName = 'deno-fn' AND startsWith(Body, 'handled /hello')", 1)) >= 1);
  const [log] = await c.query<Record<string, any>>("SELECT * FROM otel_logs WHERE ServiceName = 'deno-fn' AND startsWith(Body, 'handled /hello')");
  assert.equal(log!.Body.trim(), 'handled /hello');
  assert.equal(log!.TraceId, server!.TraceId, 'console.log inside the handler carries the span context');

  assert.ok((await c.waitFor("SELECT count() FROM otel_metrics_histogram WHERE ServiceName = 'deno-fn' AND MetricName = 'http.server.request.duration'", 1)) >= 1);
});
