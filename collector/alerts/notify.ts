/**
 * Webhook delivery in the Prometheus Alertmanager webhook format, version 4
 * (research/pipeline-facts.md §5.2), so any Alertmanager-compatible receiver takes
 * it. Each URL has its own bounded queue and sends one notification at a time, in
 * order; a failed send (network error, timeout, 429, 5xx) is retried with
 * exponential backoff until the delivery deadline, then dropped and counted. 4xx
 * other than 429 is the receiver refusing the payload: not retried.
 */
import { IsotelError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';

export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface WebhookPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}

export interface WebhookStats {
  /** The receiver's origin (the path and query may hold a token, so they are not shown). */
  readonly target: string;
  sent: number;
  failed: number;
  dropped: number;
  pending: number;
  lastError: string | undefined;
}

/** An alert as Alertmanager's POST /api/v2/alerts takes it (postableAlert). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

export interface Notifier {
  /** One group notification to every webhook. */
  notify(payload: WebhookPayload): void;
  /** The current alerts of one evaluation to every Alertmanager (re-sent each evaluation, as Prometheus does). */
  push(alerts: PostableAlert[]): void;
  stats(): WebhookStats[];
  /** Waits up to `graceMs` for queued notifications, then aborts the rest. */
  close(graceMs?: number): Promise<void>;
}

const MAX_QUEUE = 256;

class Target {
  readonly stats: WebhookStats;
  private readonly queue: { body: string; what: string; deadline: number }[] = [];
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(
    private readonly url: string,
    private readonly o: { timeoutMs: number; deadlineMs: number },
    private readonly log: Logger,
  ) {
    this.stats = { target: new URL(url).origin, sent: 0, failed: 0, dropped: 0, pending: 0, lastError: undefined };
  }

  push(body: unknown, what: string): void {
    if (this.abort.signal.aborted) return;
    if (this.queue.length >= MAX_QUEUE) {
      this.queue.shift();
      this.stats.dropped++;
      this.log.warn('webhook queue full: dropped the oldest notification', { target: this.stats.target, dropped: this.stats.dropped });
    }
    this.queue.push({ body: JSON.stringify(body), what, deadline: Date.now() + this.o.deadlineMs });
    this.stats.pending = this.queue.length;
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  private async drain(): Promise<void> {
    for (let item = this.queue.shift(); item; item = this.queue.shift()) {
      this.stats.pending = this.queue.length + 1;
      await this.deliver(item.body, item.what, item.deadline);
      this.stats.pending = this.queue.length;
    }
  }

  private async deliver(body: string, what: string, deadline: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (this.abort.signal.aborted) return;
      let retry = true;
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'isotel-alerts' },
          body,
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(Math.max(1, Math.min(this.o.timeoutMs, deadline - Date.now())))]),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.stats.sent++;
          return;
        }
        retry = res.status === 429 || res.status >= 500;
        this.stats.lastError = `HTTP ${res.status}`;
      } catch (e) {
        this.stats.lastError = (e as Error).message;
      }
      const wait = Math.min(30_000, 250 * 2 ** attempt) * (0.5 + Math.random() / 2);
      if (!retry || Date.now() + wait >= deadline) {
        this.stats.failed++;
        const err = new IsotelError('ISOTEL_ERR_ALERT_WEBHOOK_FAILED', `${what} to ${this.stats.target} failed after ${attempt + 1} attempt(s): ${this.stats.lastError}`);
        this.log.error(err.message, { code: err.code });
        return;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        t.unref();
        this.abort.signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      });
    }
  }

  async close(graceMs: number): Promise<void> {
    const running = this.running;
    if (running) {
      const timer = new Promise<void>((r) => setTimeout(r, graceMs).unref());
      await Promise.race([running, timer]);
    }
    this.abort.abort();
    await running;
  }
}

export function createWebhookNotifier(urls: readonly string[], o: { timeoutMs: number; deadlineMs: number }, log: Logger, alertmanagers: readonly string[] = []): Notifier {
  const targets = urls.map((u) => new Target(u, o, log));
  // Alertmanager's own API takes alerts, not notifications: POST /api/v2/alerts.
  const managers = alertmanagers.map((u) => new Target(`${u.replace(/\/$/, '')}/api/v2/alerts`, o, log));
  return {
    notify: (p) => {
      for (const t of targets) t.push(p, `notification ${p.groupKey} (${p.status})`);
    },
    push: (alerts) => {
      if (alerts.length > 0) for (const t of managers) t.push(alerts, `${alerts.length} alert(s)`);
    },
    stats: () => [...targets, ...managers].map((t) => ({ ...t.stats })),
    close: async (graceMs = 2000) => {
      await Promise.all([...targets, ...managers].map((t) => t.close(graceMs)));
    },
  };
}
