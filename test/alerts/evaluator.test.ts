/**
 * The built-in evaluator on the shipped rule files against the real embedded engine:
 * pending → firing after `for`, one notification per change (deduplicated), the
 * Alertmanager v4 payload at a real HTTP receiver, resolved after a rollback, retries
 * with a deadline, and GET /api/alerts.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { AlertEvaluator } from '../../collector/alerts/evaluator.js';
import { createWebhookNotifier, type WebhookPayload } from '../../collector/alerts/notify.js';
import { RULES_DIR } from '../../collector/alerts/rulefiles.js';
import { loadRules } from '../../collector/alerts/rules.js';
import { startAlerting } from '../../collector/alerts/index.js';
import { resolveAlertConfig } from '../../collector/alerts/config.js';
import { runReadOnly } from '../../collector/query/readonly.js';
import { createLogger } from '../../common/log.js';
import { eventually } from '../helpers/processes.js';
import { openTestClickHouse, type TestClickHouse } from './helpers/clickhouse.js';
import { generateColdStartsSql } from './helpers/telemetry.js';

let ch: TestClickHouse;
const log = createLogger('test', 'silent');

interface Receiver {
  url: string;
  base: string;
  paths: string[];
  got: WebhookPayload[];
  /** Status codes to answer with, in order; 200 once they run out. */
  script: number[];
  server: Server;
}
async function receiver(script: number[] = []): Promise<Receiver> {
  const r: Receiver = { url: '', base: '', paths: [], got: [], script, server: undefined as unknown as Server };
  r.server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const status = r.script.shift() ?? 200;
      if (status === 200) {
        r.got.push(JSON.parse(body) as WebhookPayload);
        r.paths.push(req.url ?? '');
      }
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
  r.base = `http://127.0.0.1:${(r.server.address() as { port: number }).port}`;
  r.url = `${r.base}/hook?token=secret`;
  return r;
}

before(async () => {
  ch = await openTestClickHouse();
  await ch.engine.command(generateColdStartsSql({ prefix: 'api-', seeds: 1, perVersion: 120, salt: 5, regression: { phase: 'compile', factor: 4 }, startAgoS: 600 }));
  await ch.engine.command(generateColdStartsSql({ prefix: 'steady-', seeds: 1, perVersion: 120, salt: 6, startAgoS: 600 }));
});
after(async () => ch?.close());

const query = (sql: string) => runReadOnly(ch.engine, sql, 'JSONEachRow', { timeoutMs: 60_000, maxRows: 10_000 });

test('pending → firing → resolved, one notification per change, Alertmanager v4 payload', async (t) => {
  const hook = await receiver();
  const am = await receiver();
  t.after(() => {
    for (const r of [hook, am]) {
      r.server.closeAllConnections();
      r.server.close();
    }
  });
  const notifier = createWebhookNotifier([hook.url], { timeoutMs: 5000, deadlineMs: 10_000 }, log, [am.base]);
  let clock = Date.now();
  const ev = new AlertEvaluator({ rules: loadRules(RULES_DIR), query, notifier, log, repeatIntervalMs: 3_600_000, resolvedRetentionMs: 600_000, externalUrl: 'http://127.0.0.1:1', now: () => clock });

  await ev.evaluateAll();
  let snap = ev.snapshot();
  assert.ok(snap.rules.every((r) => r.health === 'ok'), JSON.stringify(snap.rules));
  assert.equal(snap.alerts.length, 1, JSON.stringify(snap.alerts));
  const pending = snap.alerts[0]!;
  assert.equal(pending.state, 'pending');
  assert.deepEqual(
    { function: pending.labels.function, baseline: pending.labels.baseline, candidate: pending.labels.candidate, phase: pending.labels.phase, alertname: pending.labels.alertname },
    { function: 'api-0', baseline: 'v1', candidate: 'v2', phase: 'compile', alertname: 'ColdStartRegression' },
  );

  clock += 60_000; // inside `for: 2m`
  await ev.evaluateAll();
  assert.equal(ev.snapshot().alerts[0]!.state, 'pending');
  clock += 61_000;
  await ev.evaluateAll();
  snap = ev.snapshot();
  assert.equal(snap.alerts[0]!.state, 'firing');
  assert.doesNotMatch(JSON.stringify(snap.alerts[0]!.annotations), /unsupported|NaN/);
  assert.match(snap.alerts[0]!.annotations.description!, /Phase that moved most: compile/);

  await eventually(async () => (hook.got.length === 1 ? true : undefined), 10_000);
  const p = hook.got[0]!;
  assert.equal(p.version, '4');
  assert.equal(p.status, 'firing');
  assert.equal(p.groupKey, '{}:{alertname="ColdStartRegression", function="api-0"}');
  assert.deepEqual(p.groupLabels, { alertname: 'ColdStartRegression', function: 'api-0' });
  assert.equal(p.alerts.length, 1);
  assert.equal(p.alerts[0]!.status, 'firing');
  assert.equal(p.alerts[0]!.endsAt, '0001-01-01T00:00:00Z');
  assert.match(p.alerts[0]!.fingerprint, /^[0-9a-f]{16}$/);
  assert.equal(p.commonLabels.severity, 'warning');
  assert.match(p.alerts[0]!.annotations.summary!, /api-0 got slower in v2: median ×\d\.\d\d against v1/);

  // Still firing: no second notification (deduplicated; the repeat interval is an hour).
  clock += 60_000;
  await ev.evaluateAll();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(hook.got.length, 1);

  // Roll back: v1 serves again (newest cold starts), so v1 is the candidate and is not slower.
  await ch.engine.command(generateColdStartsSql({ prefix: 'api-', seeds: 1, perVersion: 30, salt: 7, versions: ['v2', 'v1'], startAgoS: 10 }));
  await ch.engine.command(`ALTER TABLE otel_traces DELETE WHERE ServiceName = 'api-0' AND ResourceAttributes['faas.version'] = 'v2' AND Timestamp > now() - INTERVAL 30 SECOND SETTINGS mutations_sync = 1`);
  clock = Math.max(clock, Date.now()) + 1000;
  await ev.evaluateAll(); // the old instance is missing once
  assert.equal(ev.snapshot().alerts.find((a) => a.labels.candidate === 'v2')!.state, 'firing');
  clock += 60_000;
  await ev.evaluateAll(); // … twice: resolved
  snap = ev.snapshot();
  const old = snap.alerts.find((a) => a.labels.candidate === 'v2')!;
  assert.equal(old.state, 'resolved', JSON.stringify(snap, null, 1));
  await eventually(async () => (hook.got.length === 2 ? true : undefined), 10_000);
  const r = hook.got[1]!;
  assert.equal(r.status, 'resolved');
  assert.equal(r.alerts[0]!.status, 'resolved');
  assert.equal(r.alerts[0]!.fingerprint, p.alerts[0]!.fingerprint);
  assert.notEqual(r.alerts[0]!.endsAt, '0001-01-01T00:00:00Z');
  assert.equal(notifier.stats()[0]!.target, new URL(hook.url).origin, 'the token in the URL is not shown');

  // Alertmanager got the alerts themselves at /api/v2/alerts: firing with a future endsAt
  // on every evaluation while firing, then resolved with endsAt = the resolution time.
  type Postable = { labels: Record<string, string>; endsAt: string; startsAt: string }[];
  await eventually(async () => ((am.got as unknown as Postable[]).some((b) => b.some((a) => a.labels.candidate === 'v2' && Date.parse(a.endsAt) <= clock)) ? true : undefined), 10_000);
  assert.ok(am.paths.every((p) => p === '/api/v2/alerts'));
  const posts = am.got as unknown as Postable[];
  const firingPosts = posts.filter((b) => b.some((a) => a.labels.candidate === 'v2' && Date.parse(a.endsAt) > Date.parse(a.startsAt) + 60_000));
  assert.ok(firingPosts.length >= 2, 're-sent on every evaluation while firing');
  assert.equal(posts.at(-1)![0]!.labels.alertname, 'ColdStartRegression');
  await ev.close();
  await notifier.close();
});

test('webhook delivery retries 5xx with backoff, does not retry 4xx, gives up at the deadline', async (t) => {
  const flaky = await receiver([503, 500]);
  const refusing = await receiver([400]);
  t.after(() => {
    flaky.server.close();
    refusing.server.close();
  });
  const down = 'http://127.0.0.1:9/unreachable';
  const notifier = createWebhookNotifier([flaky.url, refusing.url, down], { timeoutMs: 500, deadlineMs: 2000 }, log);
  const payload = { version: '4', groupKey: '{}:{}', truncatedAlerts: 0, status: 'firing', receiver: 'r', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: '', alerts: [] } as WebhookPayload;
  notifier.notify(payload);
  await eventually(async () => (notifier.stats().every((s) => s.pending === 0 && s.sent + s.failed === 1) ? true : undefined), 10_000, 50);
  const [f, r, d] = notifier.stats();
  assert.deepEqual([f!.sent, f!.failed, flaky.got.length], [1, 0, 1]);
  assert.deepEqual([r!.sent, r!.failed, r!.lastError], [0, 1, 'HTTP 400']);
  assert.deepEqual([d!.sent, d!.failed], [0, 1]);
  await notifier.close();
});

test('startAlerting serves GET /api/alerts and evaluates on its schedule', async (t) => {
  await ch.engine.command(generateColdStartsSql({ prefix: 'sched-', seeds: 1, perVersion: 120, salt: 8, regression: { phase: 'evaluate', factor: 3 }, startAgoS: 300 }));
  const alerting = startAlerting({ query, config: resolveAlertConfig({ env: { ISOTEL_ALERT_INTERVAL_MS: '100', ISOTEL_ALERT_FOR_MS: '0' } }), externalUrl: 'http://127.0.0.1:1', log });
  const server = createServer((req, res) => {
    if (!alerting.plugin(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    await alerting.close();
    server.closeAllConnections();
    server.close();
  });
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const body = await eventually(async () => {
    const b = (await (await fetch(`${base}/api/alerts?state=firing`)).json()) as { alerts: { state: string; labels: Record<string, string> }[]; rules: { health: string }[] };
    return b.alerts.length > 0 ? b : undefined;
  }, 30_000);
  assert.equal(body.alerts[0]!.state, 'firing');
  assert.equal(body.rules.length, 3);
  assert.equal((await fetch(`${base}/api/alerts`, { method: 'POST' })).status, 405);
  assert.equal((await fetch(`${base}/other`)).status, 404);
});
