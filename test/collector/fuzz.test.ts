/**
 * Thousands of malformed and truncated OTLP bodies at the receivers: the collector
 * never crashes and never answers 5xx; what cannot be decoded gets 400.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { signalTypes, type Signal } from '../../collector/decode/otlp.js';
import { startTestCollector, type TestCollector } from './helpers.js';

let c: TestCollector;
let agent: Agent;
before(async () => {
  c = await startTestCollector();
  agent = new Agent({ keepAlive: true, maxSockets: 8 });
});
after(async () => {
  agent.destroy();
  await c.close();
});

// A deterministic generator, so a failure can be replayed.
let seed = 0x1234567;
const rand = () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 0x100000000);
const int = (n: number) => Math.floor(rand() * n);

const kv = (k: string, v: object) => ({ key: k, value: v });
const valid: Record<Signal, object> = {
  traces: {
    resourceSpans: [{ resource: { attributes: [kv('service.name', { stringValue: 'fuzz' })] }, scopeSpans: [{ scope: { name: 's' }, spans: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'fuzz', kind: 2, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000000001000', attributes: [kv('a', { arrayValue: { values: [{ intValue: 1 }, { kvlistValue: { values: [kv('x', { boolValue: true })] } }] } })], events: [{ name: 'e', timeUnixNano: '1700000000000000500' }] }] }] }],
  },
  logs: { resourceLogs: [{ resource: { attributes: [kv('service.name', { stringValue: 'fuzz' })] }, scopeLogs: [{ logRecords: [{ timeUnixNano: '1700000000000000000', severityNumber: 9, body: { stringValue: 'hello' }, traceId: '0af7651916cd43dd8448eb211c80319c' }] }] }] },
  metrics: {
    resourceMetrics: [
      {
        resource: { attributes: [kv('service.name', { stringValue: 'fuzz' })] },
        scopeMetrics: [{ metrics: [{ name: 'h', histogram: { aggregationTemporality: 1, dataPoints: [{ timeUnixNano: '1700000000000000000', count: 3, sum: 4, bucketCounts: [1, 2], explicitBounds: [1] }] } }, { name: 's', summary: { dataPoints: [{ timeUnixNano: '1700000000000000000', count: 1, quantileValues: [{ quantile: 0.5, value: 1 }] }] } }] }],
      },
    ],
  },
};

function mutate(b: Buffer): Buffer {
  const out = Buffer.from(b);
  switch (int(4)) {
    case 0:
      return out.subarray(0, int(out.length)); // truncated
    case 1:
      for (let i = 0; i < 1 + int(4); i++) out[int(out.length)] = int(256); // byte flips
      return out;
    case 2:
      return Buffer.concat([out.subarray(0, int(out.length)), Buffer.from(Array.from({ length: int(64) }, () => int(256)))]); // garbage tail
    default:
      return Buffer.from(Array.from({ length: int(300) }, () => int(256))); // noise
  }
}

function mutateJson(s: string): string {
  switch (int(3)) {
    case 0:
      return s.slice(0, int(s.length));
    case 1: {
      const i = int(s.length);
      return s.slice(0, i) + ['"', '{', ']', '1', 'null', ',', '"zz"', '-1e999'][int(8)] + s.slice(i + 1);
    }
    default:
      return JSON.stringify(JSON.parse(s), (_k, v) => (typeof v === 'string' && rand() < 0.3 ? [1, { a: 1 }, null, 'x'][int(4)] : typeof v === 'number' && rand() < 0.3 ? 'NaN' : v));
  }
}

function post(path: string, body: Buffer | string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port: c.handle.ports.otlpHttp, path, method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    r.on('error', reject);
    r.end(body);
  });
}

test('thousands of malformed bodies: no crash, no 5xx, undecodable ones get 400', { timeout: 180_000 }, async () => {
  const counts = new Map<number, number>();
  const signals: Signal[] = ['traces', 'logs', 'metrics'];
  const jobs: (() => Promise<void>)[] = [];
  for (let i = 0; i < 3000; i++) {
    const signal = signals[i % 3]!;
    const t = signalTypes(signal).request;
    const json = JSON.stringify(valid[signal]);
    const asJson = i % 2 === 0;
    let body: Buffer | string = asJson ? mutateJson(json) : mutate(Buffer.from(t.encode(t.fromObject(valid[signal])).finish()));
    const headers: Record<string, string> = { 'content-type': asJson ? 'application/json' : 'application/x-protobuf' };
    if (i % 7 === 0) {
      const z = gzipSync(body);
      body = i % 14 === 0 ? z.subarray(0, int(z.length)) : z;
      headers['content-encoding'] = 'gzip';
    }
    const b = body;
    jobs.push(async () => {
      const status = await post(`/v1/${signal}`, b, headers);
      counts.set(status, (counts.get(status) ?? 0) + 1);
      assert.ok(status === 200 || status === 400, `${signal} ${asJson ? 'json' : 'protobuf'} body #${i} answered ${status}`);
    });
  }
  for (let i = 0; i < jobs.length; i += 16) await Promise.all(jobs.slice(i, i + 16).map((j) => j()));
  assert.ok((counts.get(400) ?? 0) > 1500, `only ${counts.get(400)} of 3000 were refused: ${JSON.stringify([...counts])}`);
  // Still alive and still correct.
  const ok = await post('/v1/traces', JSON.stringify(valid.traces), { 'content-type': 'application/json' });
  assert.equal(ok, 200);
  const m = await (await fetch(`http://127.0.0.1:${c.handle.ports.viewer}/metrics`)).text();
  assert.match(m, /isotel_collector_bad_requests_total\{signal="traces"\} [1-9]/);
});
