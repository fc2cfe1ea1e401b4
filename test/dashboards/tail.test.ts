/**
 * `isotel tail`: a live stream fed from the collector's viewer port. Telemetry that
 * arrives after the tail starts is printed once each (invocations and logs, in time
 * order), filtered by function; an unreachable collector is a clear error.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { tailCommand } from '../../cli/commands/tail.js';
import { generateTelemetry } from './generate.js';
import { startViewerFixture, type ViewerFixture } from './viewer-fixture.js';

let fx: ViewerFixture;
before(async () => {
  fx = await startViewerFixture({ invocations: 2000, hours: 1, endMs: Date.now() - 3_600_000 });
});
after(async () => fx?.close());

async function fresh(fns: string[], n: number, seed: number): Promise<void> {
  const count = async (sql: string): Promise<number> => Number((((await fx.loaded.query(sql)).data[0] as unknown[]) ?? [0])[0]);
  await generateTelemetry((sql) => fx.loaded.engine.command(sql), count, { functions: fns, invocations: n, hours: 2 / 3600, endMs: Date.now(), seed, hosts: 1 });
}

async function collect(fn: string | undefined, json: boolean, during: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const ac = new AbortController();
  const running = tailCommand(fn, { viewerUrl: fx.url, json, signal: ac.signal, write: (l) => lines.push(l), pollMs: 200 });
  await new Promise((r) => setTimeout(r, 400));
  await during();
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && !lines.some((l) => l.includes('invocation') || / ms /.test(l))) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1000)); // a few more polls: nothing is printed twice
  ac.abort();
  await running;
  return lines;
}

test('tail --json streams new invocations and logs once each, in time order', async () => {
  const lines = await collect(undefined, true, () => fresh(['alpha', 'beta'], 40, 101));
  const events = lines.map((l) => JSON.parse(l) as { type: string; id: string; time: string; function: string; version: string; duration_ns: number; cold: boolean; status: string });
  const inv = events.filter((e) => e.type === 'invocation');
  assert.equal(inv.length, 40, `40 invocations, got ${inv.length}`);
  assert.equal(new Set(inv.map((e) => e.id)).size, 40, 'no duplicates');
  assert.ok(events.some((e) => e.type === 'log'), 'log lines too');
  for (const e of inv) {
    assert.ok(['alpha', 'beta'].includes(e.function));
    assert.match(e.version, /^v\d$/);
    assert.ok(e.duration_ns > 0 && typeof e.cold === 'boolean');
  }
  // Each kind arrived in one insert here, so each is in time order (across polls, lines come in arrival order, as in wrangler tail).
  for (const kind of ['invocation', 'log']) {
    const times = events.filter((e) => e.type === kind).map((e) => Date.parse(e.time));
    assert.ok(times.every((t, i) => i === 0 || t >= times[i - 1]!), `${kind}s ordered by time`);
  }
});

test('tail <function> shows only that function, as readable lines', async () => {
  const lines = await collect('gamma', false, () => fresh(['gamma', 'delta'], 40, 202));
  assert.ok(lines.length > 0);
  for (const l of lines) assert.match(l, /^\d\d:\d\d:\d\d\.\d{3} {2}gamma@v\d {2}/, l);
  assert.ok(lines.some((l) => / (warm|cold)/.test(l) && / \d+(\.\d)? ms|\d\.\d\d s/.test(l)), 'invocation lines carry duration and cold/warm');
});

test('bad input: an invalid function name or an unreachable collector is a clear error', async () => {
  await assert.rejects(tailCommand('Bad Name', { viewerUrl: fx.url }), { code: 'ISOTEL_ERR_FUNCTION_INVALID_NAME' });
  await assert.rejects(tailCommand(undefined, { viewerUrl: 'http://127.0.0.1:9', signal: new AbortController().signal }), (e: { code?: string; message?: string }) => e.code === 'ISOTEL_ERR_TAIL_UNREACHABLE' && /127\.0\.0\.1:9/.test(e.message ?? ''));
});
