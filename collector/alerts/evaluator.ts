/**
 * The built-in evaluator: runs the rules from the provisioning files on a schedule,
 * keeps one alert instance per rule and label set, and notifies on changes.
 *
 * Instance lifecycle (Prometheus/Grafana semantics):
 *   normal ─condition true─▶ pending ─true for `for`─▶ firing ─false─▶ resolved
 *   pending ─false─▶ normal (forgotten); firing stays firing while false for less
 *   than `keepFiringFor`; an instance whose row disappears counts as false after two
 *   evaluations without it (Grafana's missing-series rule).
 * Deduplication and grouping: an instance's identity is its label set (fingerprint);
 * notifications go per group (the rule's notification_settings.group_by, default
 * alertname + function) only when an alert in it starts firing or resolves, plus a
 * reminder every repeat interval while the group fires.
 */
import { createHash } from 'node:crypto';
import { IsotelError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { evalMath, evalReduce, evalThreshold, tableToNumbers, type NumberSet } from './expr.js';
import type { Notifier, PostableAlert, WebhookAlert, WebhookPayload } from './notify.js';
import type { Rule } from './rules.js';
import { renderTemplate } from './template.js';

/** Runs a read-only query: column metadata and rows (the collector's query API path). */
export type QueryFn = (sql: string) => Promise<{ meta: readonly { name: string; type: string }[]; data: readonly unknown[] }>;

export type AlertState = 'pending' | 'firing' | 'resolved';

export interface AlertInstance {
  readonly fingerprint: string;
  readonly rule: string;
  readonly labels: Readonly<Record<string, string>>;
  annotations: Record<string, string>;
  values: Record<string, number>;
  state: AlertState;
  activeAt: number;
  firedAt: number | undefined;
  resolvedAt: number | undefined;
  lastTrueAt: number;
  missing: number;
}

export interface RuleStatus {
  readonly rule: Rule;
  health: 'unknown' | 'ok' | 'error';
  lastError: string | undefined;
  lastEvaluation: number | undefined;
  evaluationMs: number | undefined;
}

export interface EvaluatorOptions {
  rules: readonly Rule[];
  query: QueryFn;
  notifier: Notifier;
  log: Logger;
  /** Overrides every group's interval (ms) when > 0. */
  intervalMs?: number;
  /** Overrides every rule's `for` (ms) when ≥ 0. */
  forMs?: number;
  repeatIntervalMs: number;
  resolvedRetentionMs: number;
  /** Base of generatorURL / externalURL (the viewer port). */
  externalUrl: string;
  now?: () => number;
}

const MISSING_EVALS_TO_RESOLVE = 2;
const ZERO_TIME = '0001-01-01T00:00:00Z';

export function fingerprint(labels: Readonly<Record<string, string>>): string {
  const text = Object.keys(labels).sort().map((k) => `${k}\u0000${labels[k]}`).join('\u0001');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Expands the ClickHouse data source's time macros for a relative range ending now. */
export function expandMacros(sql: string, fromS: number, toS: number, nowMs: number): string {
  const from = Math.floor(nowMs / 1000) - fromS;
  const to = Math.floor(nowMs / 1000) - toS;
  const out = sql
    .replace(/\$__timeFilter_ms\(\s*([^)]+?)\s*\)/g, (_m, c: string) => `${c} >= fromUnixTimestamp64Milli(${from * 1000}) AND ${c} <= fromUnixTimestamp64Milli(${to * 1000})`)
    .replace(/\$__timeFilter\(\s*([^)]+?)\s*\)/g, (_m, c: string) => `${c} >= toDateTime(${from}) AND ${c} <= toDateTime(${to})`)
    .replace(/\$__fromTime_ms\b/g, `fromUnixTimestamp64Milli(${from * 1000})`)
    .replace(/\$__toTime_ms\b/g, `fromUnixTimestamp64Milli(${to * 1000})`)
    .replace(/\$__fromTime\b/g, `toDateTime(${from})`)
    .replace(/\$__toTime\b/g, `toDateTime(${to})`);
  const left = /\$__\w+/.exec(out);
  if (left) throw new Error(`macro ${left[0]} is not supported by the built-in evaluator ($__timeFilter, $__timeFilter_ms, $__fromTime, $__toTime and their _ms forms are)`);
  return out;
}

export class AlertEvaluator {
  private readonly instances = new Map<string, AlertInstance>();
  private readonly status: RuleStatus[];
  private readonly lastSent = new Map<string, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<Promise<void>>();
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly o: EvaluatorOptions) {
    this.now = o.now ?? Date.now;
    this.status = o.rules.map((rule) => ({ rule, health: 'unknown', lastError: undefined, lastEvaluation: undefined, evaluationMs: undefined }));
  }

  /** Starts one timer per rule group; the first evaluation runs at once. */
  start(): void {
    const groups = new Map<string, RuleStatus[]>();
    for (const s of this.status) {
      if (s.rule.isPaused) continue;
      const key = `${s.rule.folder}/${s.rule.group}`;
      groups.set(key, [...(groups.get(key) ?? []), s]);
    }
    for (const members of groups.values()) {
      const interval = (this.o.intervalMs ?? 0) > 0 ? this.o.intervalMs! : members[0]!.rule.intervalMs;
      let busy = false;
      const tick = () => {
        if (busy || this.closed) return; // a slow evaluation skips a tick rather than piling up
        busy = true;
        const p = this.evaluateGroup(members).finally(() => {
          busy = false;
          this.running.delete(p);
        });
        this.running.add(p);
      };
      const t = setInterval(tick, interval);
      t.unref();
      this.timers.push(t);
      tick();
    }
  }

  async evaluateGroup(members: readonly RuleStatus[]): Promise<void> {
    for (const s of members) if (!this.closed) await this.evaluateRule(s);
  }

  /** Evaluates every rule once, in order (tests and `isotel check` use this directly). */
  async evaluateAll(): Promise<void> {
    for (const s of this.status) if (!s.rule.isPaused) await this.evaluateRule(s);
  }

  private async evaluateRule(s: RuleStatus): Promise<void> {
    const rule = s.rule;
    const started = this.now();
    let results: Map<string, NumberSet>;
    try {
      results = await this.run(rule, started);
      s.health = 'ok';
      s.lastError = undefined;
    } catch (e) {
      s.health = 'error';
      s.lastError = e instanceof Error ? e.message : String(e);
      s.lastEvaluation = started;
      const err = new IsotelError('ISOTEL_ERR_ALERT_EVAL_FAILED', `rule ${rule.uid}: ${s.lastError}`, { cause: e });
      this.o.log.warn(err.message, { code: err.code });
      return; // states are kept as they were (execErrState: Error)
    }
    s.lastEvaluation = started;
    s.evaluationMs = this.now() - started;
    this.apply(rule, results, started);
  }

  private async run(rule: Rule, now: number): Promise<Map<string, NumberSet>> {
    const results = new Map<string, NumberSet>();
    for (const step of rule.data) {
      if (step.kind === 'query') {
        const sql = expandMacros(step.rawSql, step.fromS, step.toS, now);
        const r = await this.o.query(sql);
        try {
          results.set(step.refId, tableToNumbers(r.meta, r.data as Record<string, unknown>[]));
        } catch (e) {
          throw new Error(`query ${step.refId}: ${(e as Error).message}`);
        }
      } else {
        const input = (ref: string) => results.get(ref) ?? [];
        results.set(
          step.refId,
          step.kind === 'math' ? evalMath(step.expression, results)
          : step.kind === 'threshold' ? evalThreshold(input(step.input), step.evaluator)
          : evalReduce(input(step.input), step.mode, step.replaceWith),
        );
      }
    }
    return results;
  }

  private apply(rule: Rule, results: Map<string, NumberSet>, now: number): void {
    const forMs = (this.o.forMs ?? -1) >= 0 ? this.o.forMs! : rule.forMs;
    const condition = results.get(rule.condition) ?? [];
    const changed: AlertInstance[] = [];
    const seen = new Set<string>();
    for (const m of condition) {
      const labels: Record<string, string> = { alertname: rule.title, ...rule.labels, ...m.labels };
      const fp = fingerprint(labels);
      seen.add(fp);
      const values: Record<string, number> = {};
      for (const [ref, set] of results) {
        const hit = set.find((x) => Object.entries(x.labels).every(([k, v]) => labels[k] === v));
        if (hit) values[ref] = hit.value;
      }
      const active = !Number.isNaN(m.value) && m.value !== 0;
      let inst = this.instances.get(fp);
      if (active) {
        if (!inst || inst.state === 'resolved') {
          inst = { fingerprint: fp, rule: rule.uid, labels, annotations: {}, values, state: 'pending', activeAt: now, firedAt: undefined, resolvedAt: undefined, lastTrueAt: now, missing: 0 };
          this.instances.set(fp, inst);
        }
        inst.values = values;
        inst.lastTrueAt = now;
        inst.missing = 0;
        inst.annotations = this.annotate(rule, labels, values);
        if (inst.state === 'pending' && now - inst.activeAt >= forMs) {
          inst.state = 'firing';
          inst.firedAt = now;
          changed.push(inst);
        }
      } else if (inst && inst.state !== 'resolved') {
        inst.values = values;
        inst.missing = 0;
        if (this.deactivate(inst, rule, now)) changed.push(inst);
      }
    }
    // Instances whose row is gone: false after MISSING_EVALS_TO_RESOLVE evaluations.
    for (const inst of this.instances.values()) {
      if (inst.rule !== rule.uid || seen.has(inst.fingerprint)) continue;
      if (inst.state === 'resolved') {
        if (now - (inst.resolvedAt ?? now) > this.o.resolvedRetentionMs) this.instances.delete(inst.fingerprint);
        continue;
      }
      if (++inst.missing >= MISSING_EVALS_TO_RESOLVE && this.deactivate(inst, rule, now)) changed.push(inst);
    }
    this.notify(rule, changed, now);
    this.pushToAlertmanager(rule, changed, now);
  }

  private pushToAlertmanager(rule: Rule, changed: readonly AlertInstance[], now: number): void {
    const interval = (this.o.intervalMs ?? 0) > 0 ? this.o.intervalMs! : rule.intervalMs;
    const expires = new Date(now + 4 * Math.max(interval, 60_000)).toISOString();
    const alerts: PostableAlert[] = [];
    for (const i of this.instances.values()) {
      if (i.rule !== rule.uid) continue;
      const resolvedNow = i.state === 'resolved' && changed.includes(i);
      if (i.state !== 'firing' && !resolvedNow) continue;
      alerts.push({
        labels: { ...i.labels },
        annotations: { ...i.annotations },
        startsAt: new Date(i.firedAt ?? i.activeAt).toISOString(),
        endsAt: resolvedNow ? new Date(i.resolvedAt!).toISOString() : expires,
        generatorURL: `${this.o.externalUrl}/api/alerts?rule=${encodeURIComponent(i.rule)}`,
      });
    }
    this.o.notifier.push(alerts);
  }

  /** Condition false: pending is forgotten, firing resolves (after keepFiringFor). True if it resolved. */
  private deactivate(inst: AlertInstance, rule: Rule, now: number): boolean {
    if (inst.state === 'pending') {
      this.instances.delete(inst.fingerprint);
      return false;
    }
    if (inst.state === 'firing' && now - inst.lastTrueAt >= rule.keepFiringForMs) {
      inst.state = 'resolved';
      inst.resolvedAt = now;
      return true;
    }
    return false;
  }

  private annotate(rule: Rule, labels: Record<string, string>, values: Record<string, number>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(rule.annotations)) out[k] = renderTemplate(v, { labels, values });
    return out;
  }

  private notify(rule: Rule, changed: readonly AlertInstance[], now: number): void {
    const groups = new Map<string, { labels: Record<string, string>; changed: boolean }>();
    const groupOf = (inst: AlertInstance) => {
      const labels: Record<string, string> = {};
      for (const k of rule.groupBy) if (inst.labels[k] !== undefined) labels[k] = inst.labels[k]!;
      return { key: `{}:{${Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(', ')}}`, labels };
    };
    for (const inst of changed) {
      const g = groupOf(inst);
      groups.set(g.key, { labels: g.labels, changed: true });
    }
    // Reminders for groups that keep firing.
    for (const inst of this.instances.values()) {
      if (inst.rule !== rule.uid || inst.state !== 'firing') continue;
      const g = groupOf(inst);
      if (!groups.has(g.key) && now - (this.lastSent.get(g.key) ?? 0) >= this.o.repeatIntervalMs) groups.set(g.key, { labels: g.labels, changed: false });
    }
    for (const [key, g] of groups) {
      const members = [...this.instances.values()].filter((i) => i.rule === rule.uid && groupOf(i).key === key && (i.state === 'firing' || (i.state === 'resolved' && changed.includes(i))));
      if (members.length === 0) continue;
      this.lastSent.set(key, now);
      this.o.notifier.notify(this.payload(key, g.labels, members));
    }
  }

  private payload(groupKey: string, groupLabels: Record<string, string>, members: readonly AlertInstance[]): WebhookPayload {
    const alerts: WebhookAlert[] = members.map((i) => ({
      status: i.state === 'firing' ? 'firing' : 'resolved',
      labels: { ...i.labels },
      annotations: { ...i.annotations },
      startsAt: new Date(i.firedAt ?? i.activeAt).toISOString(),
      endsAt: i.state === 'resolved' && i.resolvedAt !== undefined ? new Date(i.resolvedAt).toISOString() : ZERO_TIME,
      generatorURL: `${this.o.externalUrl}/api/alerts?rule=${encodeURIComponent(i.rule)}`,
      fingerprint: i.fingerprint,
    }));
    const common = (pick: (a: WebhookAlert) => Record<string, string>) => {
      const [first, ...rest] = alerts.map(pick);
      return Object.fromEntries(Object.entries(first ?? {}).filter(([k, v]) => rest.every((r) => r[k] === v)));
    };
    return {
      version: '4',
      groupKey,
      truncatedAlerts: 0,
      status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
      receiver: 'isotel-webhook',
      groupLabels,
      commonLabels: common((a) => a.labels),
      commonAnnotations: common((a) => a.annotations),
      externalURL: this.o.externalUrl,
      alerts,
    };
  }

  /** What GET /api/alerts returns (documented in docs/alerting.md). */
  snapshot(): AlertsSnapshot {
    const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());
    const order = { firing: 0, pending: 1, resolved: 2 } as const;
    return {
      generatedAt: new Date(this.now()).toISOString(),
      rules: this.status.map((s) => ({
        uid: s.rule.uid,
        title: s.rule.title,
        group: s.rule.group,
        folder: s.rule.folder,
        file: s.rule.file,
        paused: s.rule.isPaused,
        intervalMs: (this.o.intervalMs ?? 0) > 0 ? this.o.intervalMs! : s.rule.intervalMs,
        forMs: (this.o.forMs ?? -1) >= 0 ? this.o.forMs! : s.rule.forMs,
        health: s.health,
        lastError: s.lastError ?? null,
        lastEvaluation: iso(s.lastEvaluation),
        evaluationMs: s.evaluationMs ?? null,
      })),
      alerts: [...this.instances.values()]
        .sort((a, b) => order[a.state] - order[b.state] || b.activeAt - a.activeAt)
        .map((i) => ({
          fingerprint: i.fingerprint,
          rule: i.rule,
          state: i.state,
          labels: { ...i.labels },
          annotations: { ...i.annotations },
          values: { ...i.values },
          activeAt: iso(i.activeAt)!,
          firedAt: iso(i.firedAt),
          resolvedAt: iso(i.resolvedAt),
        })),
      webhooks: this.o.notifier.stats(),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await Promise.allSettled([...this.running]);
  }
}

export interface AlertsSnapshot {
  generatedAt: string;
  rules: {
    uid: string;
    title: string;
    group: string;
    folder: string;
    file: string;
    paused: boolean;
    intervalMs: number;
    forMs: number;
    health: 'unknown' | 'ok' | 'error';
    lastError: string | null;
    lastEvaluation: string | null;
    evaluationMs: number | null;
  }[];
  alerts: {
    fingerprint: string;
    rule: string;
    state: AlertState;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    values: Record<string, number>;
    activeAt: string;
    firedAt: string | null;
    resolvedAt: string | null;
  }[];
  webhooks: ReturnType<Notifier['stats']>;
}
