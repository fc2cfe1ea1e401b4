/**
 * Settings of the built-in alert evaluator (inside the collector process). Thresholds
 * and `for` durations live in the rule files; these say where the files are, how often
 * to evaluate, and where notifications go.
 */
import { defineSchema, parse, resolveConfig, setting, type Resolved } from '../../common/config.js';
import { IsotelError } from '../../common/errors.js';

function webhookList(raw: string, name: string): readonly string[] {
  const urls = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const u of urls) {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new IsotelError('ISOTEL_ERR_CONFIG_INVALID', `${name}: ${JSON.stringify(u)} is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new IsotelError('ISOTEL_ERR_CONFIG_INVALID', `${name}: ${JSON.stringify(u)} is not an http(s) URL`);
  }
  return Object.freeze(urls);
}

export const alertSchema = defineSchema('alerts', {
  enabled: setting('ISOTEL_ALERTS', true, 'Run the built-in alert evaluator in the collector. false: rules are not evaluated and /api/alerts is empty.', parse.bool),
  rulesDir: setting('ISOTEL_ALERT_RULES_DIR', '', 'Directory of Grafana alerting provisioning files (*.yaml, *.yml) the evaluator runs. Empty: the rules shipped in dashboards/alerts/.', (raw) => (raw === '' ? '' : parse.path(raw))),
  intervalMs: setting('ISOTEL_ALERT_INTERVAL_MS', 0, 'Evaluation interval in ms for every rule group; 0 uses each group\'s own `interval`.', parse.int(0, 86_400_000)),
  forMs: setting('ISOTEL_ALERT_FOR_MS', -1, 'Pending period in ms for every rule; -1 uses each rule\'s own `for`.', parse.int(-1, 86_400_000)),
  webhooks: setting<readonly string[]>('ISOTEL_ALERT_WEBHOOKS', [], 'Comma-separated webhook URLs that get Alertmanager-format (version 4) notifications, e.g. an Alertmanager-compatible receiver.', webhookList),
  alertmanagers: setting<readonly string[]>('ISOTEL_ALERT_ALERTMANAGER_URLS', [], 'Comma-separated Alertmanager base URLs (e.g. http://alertmanager:9093); firing and resolved alerts are posted to their /api/v2/alerts every evaluation, as Prometheus does.', webhookList),
  webhookTimeoutMs: setting('ISOTEL_ALERT_WEBHOOK_TIMEOUT_MS', 10_000, 'Time limit of one webhook request, in ms.', parse.int(100, 600_000)),
  webhookDeadlineMs: setting('ISOTEL_ALERT_WEBHOOK_DEADLINE_MS', 300_000, 'How long a notification is retried (with backoff) before it is dropped and counted, in ms.', parse.int(100, 86_400_000)),
  repeatIntervalMs: setting('ISOTEL_ALERT_REPEAT_INTERVAL_MS', 4 * 3600_000, 'A group that keeps firing is notified again after this many ms.', parse.int(1000, 30 * 86_400_000)),
  resolvedRetentionMs: setting('ISOTEL_ALERT_RESOLVED_RETENTION_MS', 15 * 60_000, 'How long a resolved alert stays listed in /api/alerts, in ms.', parse.int(0, 30 * 86_400_000)),
});

export type AlertConfig = Resolved<typeof alertSchema>;

export function resolveAlertConfig(options: Parameters<typeof resolveConfig>[1] = {}): AlertConfig {
  return resolveConfig(alertSchema, options as never);
}
