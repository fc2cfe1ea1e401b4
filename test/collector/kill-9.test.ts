/**
 * kill -9 of the collector mid-ingest: every acknowledged span is in ClickHouse
 * exactly once after a restart, nothing is duplicated (also in the tables the
 * materialized views fill), and unacknowledged requests appear at most once.
 */
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { signalTypes } from '../../collector/decode/otlp.js';
import { queryApi, tempDir } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const SPANS = 200;

function startChild(dataDir: string): Promise<{ child: ChildProcess; ports: { otlpHttp: number; viewer: number } }> {
  const child = fork(join(here, 'fixtures/collector-child.js'), [dataDir, JSON.stringify({ ISOTEL_COLLECTOR_BATCH_DELAY_MS: '150', ISOTEL_COLLECTOR_BATCH_ROWS: '3000' })], { execArgv: ['--no-node-snapshot'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { t: string; ports: { otlpHttp: number; viewer: number } }) => resolve({ child, ports: m.ports }));
    child.once('exit', (code) => reject(new Error(`collector child exited ${code}`)));
  });
}

function body(req: number): Uint8Array {
  const t = signalTypes('traces').request;
  const spans = [];
  for (let i = 0; i < SPANS; i++) {
    const id = Buffer.alloc(8);
    id.writeUInt32BE(req, 0);
    id.writeUInt32BE(i + 1, 4);
    const trace = Buffer.alloc(16);
    trace.writeUInt32BE(req + 1, 0);
    spans.push({ traceId: trace, spanId: id, name: 'fn-kill', kind: 2, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000001000000', attributes: [{ key: 'req', value: { intValue: req } }] });
  }
  return t.encode(t.fromObject({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fn-kill' } }] }, scopeSpans: [{ spans }] }] })).finish();
}

function post(agent: Agent, port: number, b: Uint8Array): Promise<number> {
  return new Promise((resolve) => {
    const r = request({ host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    r.on('error', () => resolve(0));
    r.end(b);
  });
}

test('kill -9 mid-ingest loses nothing acknowledged and duplicates nothing', { timeout: 120_000 }, async () => {
  const dataDir = tempDir();
  const first = await startChild(dataDir);
  const agent = new Agent({ keepAlive: true, maxSockets: 6 });
  const acked = new Set<number>();
  const sent = new Set<number>();
  let next = 0;
  let killed = false;
  const workers = Array.from({ length: 6 }, async () => {
    while (!killed) {
      const id = next++;
      sent.add(id);
      const status = await post(agent, first.ports.otlpHttp, body(id));
      if (status === 200 && !killed) acked.add(id);
      else if (status === 200) acked.add(id); // answered before the kill took effect
    }
  });
  // Kill without warning once batches have been inserted and more are queued and in flight.
  for (let i = 0; i < 600; i++) {
    const m = await (await fetch(`http://127.0.0.1:${first.ports.viewer}/metrics`)).text().catch(() => '');
    const inserted = Number(/isotel_collector_inserted_rows_total\{table="otel_traces"\} (\d+)/.exec(m)?.[1] ?? 0);
    if (inserted > 0 && acked.size >= 20) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 300));
  first.child.kill('SIGKILL');
  killed = true;
  await new Promise((r) => first.child.once('exit', r));
  await Promise.all(workers);
  agent.destroy();
  assert.ok(acked.size > 10, `only ${acked.size} requests were acknowledged before the kill`);

  const second = await startChild(dataDir);
  try {
    const q = <T>(sql: string) => queryApi<T>(second.ports.viewer, sql);
    // Recovery inserts what the first process queued; wait until the count is stable and covers every ack.
    let total = 0;
    for (let i = 0; i < 400; i++) {
      total = Number((await q<{ n: string }>(`SELECT count() AS n FROM otel_traces WHERE ServiceName = 'fn-kill'`))[0]!.n);
      const queue = await (await fetch(`http://127.0.0.1:${second.ports.viewer}/metrics`)).text();
      const queued = Number(/^isotel_collector_queue_bytes (\d+)/m.exec(queue)?.[1] ?? '1');
      if (total >= acked.size * SPANS && queued === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const perReq = await q<{ req: string; n: string }>(`SELECT SpanAttributes['req'] AS req, count() AS n FROM otel_traces WHERE ServiceName = 'fn-kill' GROUP BY req`);
    const counts = new Map(perReq.map((r) => [Number(r.req), Number(r.n)]));
    for (const id of acked) assert.equal(counts.get(id), SPANS, `acknowledged request ${id} has ${counts.get(id) ?? 0} of ${SPANS} spans`);
    for (const [id, n] of counts) {
      assert.ok(sent.has(id), `request ${id} was never sent`);
      assert.equal(n, SPANS, `request ${id} is stored partially or twice (${n} spans)`);
    }
    const dups = await q(`SELECT SpanId, count() AS c FROM otel_traces WHERE ServiceName = 'fn-kill' GROUP BY SpanId HAVING c > 1 LIMIT 5`);
    assert.deepEqual(dups, []);
    // The materialized views saw each block once too.
    const rollup = await q<{ n: string }>(`SELECT sum(Invocations) AS n FROM isotel_fn_minute WHERE ServiceName = 'fn-kill'`);
    const stored = Number((await q<{ n: string }>(`SELECT count() AS n FROM otel_traces WHERE ServiceName = 'fn-kill'`))[0]!.n);
    assert.equal(Number(rollup[0]!.n), stored);
  } finally {
    second.child.send({ t: 'close' });
    await new Promise((r) => second.child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
});
