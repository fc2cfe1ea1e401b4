/**
 * Exactly once at the queue level, deterministically: an insert that succeeded but
 * whose segments were not yet removed (the crash window) is replayed with the same
 * token, and ClickHouse drops the duplicate — in otel_traces and in the tables the
 * materialized views fill.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Engine } from '../../collector/clickhouse/engine.js';
import { decodeJson } from '../../collector/decode/otlp.js';
import { DurableQueue, type SegmentSink } from '../../collector/queue/queue.js';
import { mapRequest } from '../../collector/rows/index.js';
import type { TableName } from '../../collector/rows/tables.js';
import { createLogger } from '../../common/log.js';
import { tempDir } from './helpers.js';

const log = createLogger('test', 'silent');

function request(n: number, tag: string) {
  const spans = Array.from({ length: n }, (_, i) => ({
    traceId: (i + 1).toString(16).padStart(32, '0'),
    spanId: (i + 1).toString(16).padStart(16, '0'),
    name: 'fn-replay',
    kind: 2,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000000500000',
    attributes: [{ key: 'tag', value: { stringValue: tag } }],
  }));
  return mapRequest('traces', decodeJson('traces', JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fn-replay' } }] }, scopeSpans: [{ spans }] }] })), 4096);
}

const opts = (dir: string) => ({ dir, fsync: true, commitDelayMs: 0, batchRows: 1_000_000, batchDelayMs: 10, maxPendingBytes: 64 << 20, maxQueueBytes: 1 << 30, insertRetryMaxMs: 50 });

async function count(engine: Engine, sql: string): Promise<number> {
  const r = await engine.readQuery(sql, { timeoutMs: 5000, maxRows: 10, compact: true, wrap: true });
  return Number((r.data[0] as unknown[])[0]);
}

test('an insert replayed after a crash between insert and cleanup is stored once', async () => {
  const dataDir = tempDir();
  const engine = await Engine.open({ dataDir, clickhouseUrl: '', clickhouseUser: 'default', clickhousePassword: '', clickhouseDatabase: 'default', ttlDays: 0 }, log);
  try {
    await engine.migrate(0);
    // 1. The insert succeeds, then the process "dies" before removing the segments.
    let inserts = 0;
    let crashed!: () => void;
    const died = new Promise<void>((r) => (crashed = r));
    const dying: SegmentSink = {
      insertSegments: async (t: TableName, files, token) => {
        await engine.insertSegments(t, files, token);
        inserts++;
        crashed();
        await new Promise(() => {}); // never returns: the process is gone
      },
    };
    const q1 = new DurableQueue(opts(join(dataDir, 'queue')), dying, log);
    q1.open();
    await q1.append(request(50, 'a'));
    await died;
    q1.destroy();
    assert.equal(inserts, 1);
    assert.equal(await count(engine, "SELECT count() FROM otel_traces WHERE ServiceName = 'fn-replay'"), 50);

    // 2. The next process finds the batch manifest and replays it with the same token.
    let replays = 0;
    const q2 = new DurableQueue(opts(join(dataDir, 'queue')), { insertSegments: async (t, f, token) => (replays++, engine.insertSegments(t, f, token)) }, log);
    q2.open();
    await q2.append(request(10, 'b'));
    await q2.close();
    assert.ok(replays >= 2, 'the manifest was replayed and the new rows inserted');
    assert.equal(await count(engine, "SELECT count() FROM otel_traces WHERE ServiceName = 'fn-replay' AND SpanAttributes['tag'] = 'a'"), 50);
    assert.equal(await count(engine, "SELECT count() FROM otel_traces WHERE ServiceName = 'fn-replay' AND SpanAttributes['tag'] = 'b'"), 10);
    assert.equal(await count(engine, "SELECT sum(Invocations) FROM isotel_fn_minute WHERE ServiceName = 'fn-replay'"), 60);
    assert.equal(await count(engine, 'SELECT count() FROM otel_traces_trace_id_ts'), 60, 'one lookup row per insert per trace id, none from the replay');
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('ClickHouse failures are retried until the insert succeeds; nothing is dropped', async () => {
  const dataDir = tempDir();
  const engine = await Engine.open({ dataDir, clickhouseUrl: '', clickhouseUser: 'default', clickhousePassword: '', clickhouseDatabase: 'default', ttlDays: 0 }, log);
  try {
    await engine.migrate(0);
    let failures = 3;
    const flaky: SegmentSink = {
      insertSegments: async (t, f, token) => {
        if (failures-- > 0) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' });
        await engine.insertSegments(t, f, token);
      },
    };
    const q = new DurableQueue(opts(join(dataDir, 'queue')), flaky, log);
    q.open();
    await q.append(request(20, 'c'));
    await q.close();
    assert.equal(q.stats.insertFailures, 3);
    assert.equal(await count(engine, "SELECT count() FROM otel_traces WHERE ServiceName = 'fn-replay'"), 20);
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
