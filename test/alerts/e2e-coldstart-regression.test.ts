/**
 * End to end, real processes: `isotel up` (host + collector + embedded ClickHouse +
 * the built-in evaluator loading dashboards/alerts/ as shipped), a function deployed
 * through the admin API, cold starts driven with scale-to-zero between rounds. Version
 * 2's top level does clearly more work: a local webhook receiver gets the firing
 * Alertmanager-format alert naming the evaluate phase, `isotel check coldstart`
 * exits 1, and after a rollback the receiver gets the resolved alert.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { WebhookPayload } from '../../collector/alerts/notify.js';
import { DEFAULTS } from '../../collector/alerts/rulefiles.js';
import { eventually, isotel, runIsotel, tempDir, type Running } from '../helpers/processes.js';

const FN = 'slowstart';
const PER_VERSION = DEFAULTS.minSamples + 10;
const v1 = 'export default { fetch() { return new Response("v1"); } };';
// Clearly more top-level work: ~tens of ms of CPU before the module is ready.
const v2 = 'let acc = 0; for (let i = 0; i < 4e6; i++) acc += Math.sqrt(i); export default { fetch() { return new Response("v2 " + (acc > 0)); } };';

let up: Running;
let gateway: string;
let viewerPort: string;
let token: string;
let hook: Server;
let hookUrl: string;
const received: WebhookPayload[] = [];
const dataDir = tempDir('isotel-e2e-alerts-');

before(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body) as WebhookPayload);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/alerts`;
  up = runIsotel(['up', '--data-dir', dataDir, '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--viewer-port', '0', '--examples', tempDir('isotel-e2e-empty-')], {
    ISOTEL_INSTANCE_IDLE_MS: '150',
    ISOTEL_ALERT_WEBHOOKS: hookUrl,
    ISOTEL_ALERT_INTERVAL_MS: '1000',
    ISOTEL_ALERT_FOR_MS: '1500',
  });
  await up.waitFor(/isotel is up/, 120_000);
  gateway = (await up.waitFor(/gateway\s+(http:\S+)/))[1]!.replace(/\/$/, '');
  viewerPort = (await up.waitFor(/dashboards\s+http:\/\/[^:]+:(\d+)\//))[1]!;
  await eventually(async () => (existsSync(join(dataDir, 'admin-token')) ? true : undefined), 10_000);
  token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
});

after(async () => {
  await up?.stop();
  hook?.closeAllConnections();
  hook?.close();
});

async function admin(method: string, path: string, body?: unknown): Promise<Record<string, any>> {
  const res = await fetch(`${gateway}/_isotel${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (await res.json()) as Record<string, any>;
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function query<T>(sql: string): Promise<T[]> {
  const res = await fetch(`http://127.0.0.1:${viewerPort}/api/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql }) });
  const body = (await res.json()) as { data: T[] };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.data;
}

const coldStarts = async (version: string) =>
  Number((await query<{ n: string }>(`SELECT count() AS n FROM otel_traces WHERE SpanName = 'isotel.coldstart' AND ServiceName = '${FN}' AND ResourceAttributes['faas.version'] = '${version}'`))[0]!.n);

/** Rounds of concurrent requests (one instance each), waiting for scale to zero between rounds. */
const timings: string[] = [];
async function driveColdStarts(version: string, n: number, body: string): Promise<void> {
  const t0 = Date.now();
  let rounds = 0;
  let sent = 0;
  const start = await coldStarts(version);
  await eventually(async () => {
    const have = (await coldStarts(version)) - start;
    if (have >= n) {
      timings.push(`${n} cold starts of ${version}: ${rounds} rounds, ${sent} requests, ${Date.now() - t0} ms`);
      return true;
    }
    const round = Math.min(8, n - have);
    rounds++;
    sent += round;
    const texts = await Promise.all(Array.from({ length: round }, async () => (await fetch(`${gateway}/${FN}/`)).text()));
    for (const t of texts) assert.ok(t.startsWith(body), t);
    await new Promise((r) => setTimeout(r, 400)); // idle 150 ms + sweep: every instance is gone
    return undefined;
  }, 240_000, 0);
}

test('a slower version 2 fires a webhook alert naming the phase; rollback resolves it', async (t) => {
  t.after(() => t.diagnostic(timings.join('; ')));
  const first = await admin('PUT', `/functions/${FN}`, { source: v1, filename: 'slowstart.js', limits: { concurrency: 1, maxInstances: 16 } });
  await driveColdStarts(first.version, PER_VERSION, 'v1');
  const second = await admin('PUT', `/functions/${FN}`, { source: v2, filename: 'slowstart.js', limits: { concurrency: 1, maxInstances: 16 } });
  assert.notEqual(second.version, first.version);
  await driveColdStarts(second.version, PER_VERSION, 'v2');

  const t1 = Date.now();
  const firing = await eventually(async () => received.find((p) => p.status === 'firing' && p.alerts.some((a) => a.labels.function === FN)), 60_000);
  timings.push(`firing webhook ${Date.now() - t1} ms after the cold starts were stored`);
  assert.equal(firing.version, '4');
  const alert = firing.alerts.find((a) => a.labels.function === FN)!;
  assert.equal(alert.labels.alertname, 'ColdStartRegression');
  assert.equal(alert.labels.baseline, first.version);
  assert.equal(alert.labels.candidate, second.version);
  assert.equal(alert.labels.phase, 'evaluate', JSON.stringify(alert));
  assert.match(alert.annotations.description!, /Mann–Whitney U p = /);

  // The viewer sees it.
  const alerts = (await (await fetch(`http://127.0.0.1:${viewerPort}/api/alerts?state=firing`)).json()) as { alerts: { fingerprint: string }[] };
  assert.ok(alerts.alerts.some((a) => a.fingerprint === alert.fingerprint));

  // The CI gate agrees, and passes the reverse comparison.
  const gate = await isotel(['check', 'coldstart', '--function', FN, '--viewer-port', viewerPort]);
  assert.equal(gate.code, 1, gate.stderr + gate.stdout);
  assert.match(gate.stdout, /^REGRESSION: slowstart/);
  assert.match(gate.stdout, /moved most\s+evaluate/);
  const reverse = await isotel(['check', 'coldstart', '--function', FN, '--viewer-port', viewerPort, '--baseline', second.version, '--candidate', first.version]);
  assert.equal(reverse.code, 0, reverse.stderr + reverse.stdout);

  // Roll back to version 1 and keep cold-starting: the alert resolves.
  const rolled = await admin('POST', `/functions/${FN}/rollback`, {});
  assert.equal(rolled.version, first.version);
  await driveColdStarts(first.version, 8, 'v1');
  const t2 = Date.now();
  const resolved = await eventually(async () => received.find((p) => p.status === 'resolved' && p.alerts.some((a) => a.fingerprint === alert.fingerprint)), 60_000);
  timings.push(`resolved webhook ${Date.now() - t2} ms after the rollback's cold starts were stored`);
  assert.equal(resolved.alerts.find((a) => a.fingerprint === alert.fingerprint)!.status, 'resolved');
});
