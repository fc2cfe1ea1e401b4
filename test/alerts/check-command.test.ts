/**
 * `isotel check coldstart` (checkColdstartCommand) against the collector's real query
 * API (ViewerServer over an embedded ClickHouse): exit 1 with the evidence on a
 * regression, 0 the other way round, 2 with a reason when it cannot decide.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { checkColdstartCommand } from '../../cli/commands/check.js';
import { ViewerServer } from '../../collector/query/api.js';
import { runReadOnly } from '../../collector/query/readonly.js';
import { createLogger } from '../../common/log.js';
import { openTestClickHouse, type TestClickHouse } from './helpers/clickhouse.js';
import { generateColdStartsSql } from './helpers/telemetry.js';

let ch: TestClickHouse;
let viewer: ViewerServer;
let viewerUrl: string;

before(async () => {
  ch = await openTestClickHouse();
  await ch.engine.command(generateColdStartsSql({ prefix: 'gate-', seeds: 1, perVersion: 120, salt: 11, versions: ['1.0', '1.1'], regression: { phase: 'compile', factor: 5 } }));
  await ch.engine.command(generateColdStartsSql({ prefix: 'few-', seeds: 1, perVersion: 20, salt: 12 }));
  viewer = new ViewerServer({ query: (sql, format = 'JSONEachRow') => runReadOnly(ch.engine, sql, format, { timeoutMs: 60_000, maxRows: 10_000 }) }, () => '', createLogger('test', 'silent'));
  viewerUrl = `http://127.0.0.1:${await viewer.listen('127.0.0.1', 0)}`;
});
after(async () => {
  await viewer?.close();
  await ch?.close();
});

async function check(opts: Partial<Parameters<typeof checkColdstartCommand>[0]>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await checkColdstartCommand({ fn: 'gate-0', viewerUrl, out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), ...opts });
  return { code, out, err };
}

test('a regression exits 1 and prints the evidence', async () => {
  const r = await check({});
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /^REGRESSION: gate-0 cold starts, 1\.1 \(candidate\) vs 1\.0 \(baseline\)/);
  assert.match(r.out, /Mann–Whitney U\s+one-sided p = /);
  assert.match(r.out, /samples\s+120 \(1\.1\) vs 120 \(1\.0\)/);
  assert.match(r.out, /moved most\s+compile phase/);
  const j = await check({ json: true });
  assert.equal(j.code, 1);
  const body = JSON.parse(j.out) as Record<string, unknown>;
  assert.equal(body.regressed, true);
  assert.equal(body.phase, 'compile');
  assert.ok((body.median_ratio as number) > 1.2 && (body.p_value as number) < 0.01);
});

test('the faster version as candidate exits 0', async () => {
  const r = await check({ baseline: '1.1', candidate: '1.0' });
  assert.equal(r.code, 0, r.err + r.out);
  assert.match(r.out, /^ok: gate-0/);
});

test('cannot decide: exit 2 with the reason', async () => {
  const few = await check({ fn: 'few-0' });
  assert.equal(few.code, 2);
  assert.match(few.err, /few-0: need 100 cold starts of each compared version; versions with cold starts \(newest first\): v2 \(20\), v1 \(20\) \[ISOTEL_ERR_CHECK_INSUFFICIENT_DATA\]/);
  assert.equal((await check({ fn: 'few-0', minSamples: 10 })).code === 2, false, 'enough with a lower minimum');
  const unknown = await check({ baseline: '0.9' });
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /no cold starts of version 0\.9.*1\.1 \(120\), 1\.0 \(120\) \[ISOTEL_ERR_CHECK_BAD_INPUT\]/);
  const same = await check({ baseline: '1.0', candidate: '1.0' });
  assert.match(same.err, /both 1\.0 \[ISOTEL_ERR_CHECK_BAD_INPUT\]/);
  const down = await check({ viewerUrl: 'http://127.0.0.1:9' });
  assert.equal(down.code, 2);
  assert.match(down.err, /not reachable.*ISOTEL_ERR_CLICKHOUSE_UNAVAILABLE/);
});
