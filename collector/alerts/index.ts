/**
 * The alerting module of the collector: a query function in, notifications out.
 *
 *   const alerting = startAlerting({ query, config: resolveAlertConfig(), externalUrl, log });
 *   viewer.register(alerting.plugin);   // GET /api/alerts
 *   await alerting.close();
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../common/log.js';
import type { AlertConfig } from './config.js';
import { AlertEvaluator, type QueryFn } from './evaluator.js';
import { createWebhookNotifier } from './notify.js';
import { RULES_DIR } from './rulefiles.js';
import { loadRules } from './rules.js';

export { resolveAlertConfig, alertSchema, type AlertConfig } from './config.js';
export type { AlertsSnapshot, QueryFn } from './evaluator.js';

export interface Alerting {
  readonly evaluator: AlertEvaluator | undefined;
  /** Serves GET /api/alerts on the viewer port; returns false for other paths. */
  plugin(req: IncomingMessage, res: ServerResponse): boolean;
  close(): Promise<void>;
}

/** Loads the rule files (throws ISOTEL_ERR_ALERT_RULE_INVALID on a bad file) and starts evaluating. */
export function startAlerting(o: { query: QueryFn; config: AlertConfig; externalUrl: string; log: Logger }): Alerting {
  const c = o.config;
  let evaluator: AlertEvaluator | undefined;
  let notifierClose: () => Promise<void> = async () => {};
  if (c.enabled) {
    const dir = c.rulesDir || RULES_DIR;
    const rules = loadRules(dir);
    const notifier = createWebhookNotifier(c.webhooks, { timeoutMs: c.webhookTimeoutMs, deadlineMs: c.webhookDeadlineMs }, o.log, c.alertmanagers);
    notifierClose = () => notifier.close();
    evaluator = new AlertEvaluator({ rules, query: o.query, notifier, log: o.log, intervalMs: c.intervalMs, forMs: c.forMs, repeatIntervalMs: c.repeatIntervalMs, resolvedRetentionMs: c.resolvedRetentionMs, externalUrl: o.externalUrl });
    evaluator.start();
    o.log.info('alert evaluator started', { rules: rules.length, dir, webhooks: c.webhooks.length, alertmanagers: c.alertmanagers.length });
  }
  return {
    evaluator,
    plugin(req, res) {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname !== '/api/alerts') return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET', 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: 'ISOTEL_ERR_QUERY_BAD_REQUEST', message: `${req.method} /api/alerts: use GET` } }));
        return true;
      }
      const snap = evaluator?.snapshot() ?? { generatedAt: new Date().toISOString(), rules: [], alerts: [], webhooks: [] };
      const rule = url.searchParams.get('rule');
      const state = url.searchParams.get('state');
      const body = JSON.stringify({ ...snap, enabled: c.enabled, alerts: snap.alerts.filter((a) => (!rule || a.rule === rule) && (!state || a.state === state)) });
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    },
    close: async () => {
      await evaluator?.close();
      await notifierClose();
    },
  };
}
