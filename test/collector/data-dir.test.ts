/**
 * The data directory belongs to one collector (the embedded engine binds one data dir
 * per process): a second collector is refused with a clear error, `isotel query` finds
 * the running one through <dataDir>/collector.json, and once it is gone `isotel query`
 * opens the engine itself — the same rows, the same read-only rules.
 */
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startCollector } from '../../collector/index.js';
import { query } from '../../collector/query/client.js';
import { IsotelError } from '../../common/errors.js';
import { tempDir, testConfig } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));

test('one collector per data dir; isotel query with and without a running collector', { timeout: 120_000 }, async () => {
  const dataDir = tempDir();
  const child = fork(join(here, 'fixtures/collector-child.js'), [dataDir, '{}'], { execArgv: ['--no-node-snapshot'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ports = await new Promise<{ otlpHttp: number; viewer: number }>((resolve, reject) => {
    child.once('message', (m: { ports: { otlpHttp: number; viewer: number } }) => resolve(m.ports));
    child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
  });
  try {
    await assert.rejects(startCollector({ config: testConfig(dataDir) }), (e: unknown) => e instanceof IsotelError && e.code === 'ISOTEL_ERR_DATA_DIR_LOCKED' && e.message.includes(String(child.pid)));
    const body = { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fn-dir' } }] }, scopeSpans: [{ spans: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'fn-dir', startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000000000001' }] }] }] };
    assert.equal((await fetch(`http://127.0.0.1:${ports.otlpHttp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status, 200);
    // The configured viewer port is 0 (ephemeral): the client finds the real one in collector.json.
    const config = testConfig(dataDir);
    let n = 0;
    for (let i = 0; i < 100 && n < 1; i++) {
      n = Number((await query("SELECT count() AS n FROM otel_traces WHERE ServiceName = 'fn-dir'", { config })).data[0]!.n);
      if (n < 1) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(n, 1);
  } finally {
    child.send({ t: 'close' });
    await new Promise((r) => child.once('exit', r));
  }
  // No collector now: the client opens the embedded engine itself.
  const r = await query("SELECT count() AS n FROM otel_traces WHERE ServiceName = 'fn-dir'", { config: testConfig(dataDir) });
  assert.equal(Number(r.data[0]!.n), 1);
  await assert.rejects(query('DROP TABLE otel_traces', { config: testConfig(dataDir) }), (e: unknown) => e instanceof IsotelError && e.code === 'ISOTEL_ERR_QUERY_READONLY');
  rmSync(dataDir, { recursive: true, force: true });
});
