/**
 * Loads Grafana alerting provisioning files (apiVersion 1) into the rules the
 * built-in evaluator runs. It accepts what Grafana accepts for the parts it
 * implements and refuses, naming file/group/rule/field, anything it would otherwise
 * silently evaluate differently: data source queries must be ClickHouse SQL in table
 * format; expressions are math, threshold and reduce (docs/alerting.md).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { IsotelError } from '../../common/errors.js';
import { parseMath, type MathNode } from './expr.js';

export type DataStep =
  | { kind: 'query'; refId: string; rawSql: string; fromS: number; toS: number }
  | { kind: 'math'; refId: string; expression: MathNode; source: string }
  | { kind: 'threshold'; refId: string; input: string; evaluator: ThresholdEvaluator }
  | { kind: 'reduce'; refId: string; input: string; reducer: Reducer; mode: 'strict' | 'dropNN' | 'replaceNN'; replaceWith: number };

export type ThresholdEvaluator = { type: 'gt' | 'lt' | 'within_range' | 'outside_range' | 'within_range_included' | 'outside_range_included'; params: number[] };
export type Reducer = 'last' | 'mean' | 'min' | 'max' | 'sum' | 'count' | 'median';

export interface Rule {
  readonly uid: string;
  readonly title: string;
  readonly group: string;
  readonly folder: string;
  readonly file: string;
  readonly intervalMs: number;
  readonly forMs: number;
  readonly keepFiringForMs: number;
  readonly condition: string;
  readonly noDataState: 'NoData' | 'OK';
  readonly execErrState: 'Alerting' | 'Error' | 'OK' | 'KeepLast';
  readonly isPaused: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly groupBy: readonly string[];
  readonly data: readonly DataStep[];
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** Prometheus-style duration ("1m", "1h30m", "500ms", "0s") in ms. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const re = /(\d+)(ms|s|m|h|d|w|y)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  return pos === text.length && pos > 0 ? total : undefined;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Where {
  constructor(readonly path: string) {}
  at(part: string): Where {
    return new Where(`${this.path} ${part}`);
  }
  fail(msg: string): never {
    throw new IsotelError('ISOTEL_ERR_ALERT_RULE_INVALID', `${this.path}: ${msg}`);
  }
  str(o: Obj, key: string, required: true): string;
  str(o: Obj, key: string, required: false, dflt: string): string;
  str(o: Obj, key: string, required: boolean, dflt = ''): string {
    const v = o[key];
    if (v === undefined || v === null || v === '') return required ? this.fail(`"${key}" is required`) : dflt;
    if (typeof v !== 'string') this.fail(`"${key}" must be a string, got ${JSON.stringify(v)}`);
    return v;
  }
  duration(o: Obj, key: string, dflt: number): number {
    const v = o[key];
    if (v === undefined || v === null || v === '') return dflt;
    const ms = typeof v === 'string' ? parseDuration(v) : undefined;
    return ms ?? this.fail(`"${key}" must be a duration like 1m or 30s, got ${JSON.stringify(v)}`);
  }
  strMap(o: Obj, key: string): Record<string, string> {
    const v = o[key];
    if (v === undefined || v === null) return {};
    if (!isObj(v)) this.fail(`"${key}" must be a map of strings`);
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v)) {
      if (typeof val !== 'string') this.fail(`"${key}.${k}" must be a string`);
      out[k] = val;
    }
    return out;
  }
  oneOf<T extends string>(o: Obj, key: string, values: readonly T[], dflt: T): T {
    const v = o[key];
    if (v === undefined || v === null || v === '') return dflt;
    if (!(values as readonly unknown[]).includes(v)) this.fail(`"${key}" must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  }
}

function dataStep(w: Where, d: unknown): DataStep {
  if (!isObj(d)) w.fail('each data entry must be a map');
  const refId = w.str(d, 'refId', true);
  const here: Where = w.at(`data ${refId}`);
  const uid = d.datasourceUid ?? d.datasourceUID;
  const model = d.model;
  if (typeof uid !== 'string' || uid === '') here.fail('"datasourceUid" is required');
  if (!isObj(model)) here.fail('"model" is required');
  if (uid === '__expr__') {
    const type = here.str(model, 'type', true);
    if (type === 'math') {
      const source = here.str(model, 'expression', true);
      try {
        return { kind: 'math', refId, expression: parseMath(source), source };
      } catch (e) {
        return here.fail(`math expression ${JSON.stringify(source)}: ${(e as Error).message}`);
      }
    }
    if (type === 'threshold') {
      const input = here.str(model, 'expression', true);
      const conds = model.conditions;
      const ev = Array.isArray(conds) && isObj(conds[0]) ? conds[0].evaluator : undefined;
      if (!isObj(ev)) here.fail('threshold needs conditions[0].evaluator');
      const et = here.oneOf(ev, 'type', ['gt', 'lt', 'within_range', 'outside_range', 'within_range_included', 'outside_range_included'] as const, 'gt');
      const params = ev.params;
      if (!Array.isArray(params) || !params.every((p) => typeof p === 'number') || params.length < (et.includes('range') ? 2 : 1)) here.fail('evaluator.params must be numbers (two for a range)');
      return { kind: 'threshold', refId, input, evaluator: { type: et, params: params as number[] } };
    }
    if (type === 'reduce') {
      const input = here.str(model, 'expression', true);
      const reducer = here.oneOf(model, 'reducer', ['last', 'mean', 'min', 'max', 'sum', 'count', 'median'] as const, 'last');
      const settings = isObj(model.settings) ? model.settings : {};
      const mode = here.oneOf(settings, 'mode', ['strict', 'dropNN', 'replaceNN'] as const, 'strict');
      const replaceWith = typeof settings.replaceWithValue === 'number' ? settings.replaceWithValue : 0;
      return { kind: 'reduce', refId, input, reducer, mode, replaceWith };
    }
    return here.fail(`expression type ${JSON.stringify(type)} is not supported by the built-in evaluator (math, threshold, reduce are)`);
  }
  // A data source query: ClickHouse SQL returning a table.
  const rawSql = here.str(model, 'rawSql', true);
  const format = model.format;
  if (format !== undefined && format !== 1 && model.queryType !== 'table') here.fail('queries must use table format (model.format: 1): the evaluator alerts on numeric tables');
  const range = isObj(d.relativeTimeRange) ? d.relativeTimeRange : {};
  const fromS = typeof range.from === 'number' ? range.from : 600;
  const toS = typeof range.to === 'number' ? range.to : 0;
  if (fromS <= toS) here.fail('relativeTimeRange.from must be larger than .to (seconds before now)');
  return { kind: 'query', refId, rawSql, fromS, toS };
}

/** Parses one provisioning file's text. `file` names it in errors. */
export function parseRuleFile(text: string, file: string): Rule[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new IsotelError('ISOTEL_ERR_ALERT_RULE_INVALID', `${file}: not valid YAML: ${(e as Error).message}`);
  }
  const w: Where = new Where(file);
  if (!isObj(doc)) w.fail('the file must be a map with apiVersion and groups');
  if (doc.apiVersion !== 1) w.fail(`apiVersion must be 1, got ${JSON.stringify(doc.apiVersion)}`);
  const groups = doc.groups ?? [];
  if (!Array.isArray(groups)) w.fail('"groups" must be a list');
  const rules: Rule[] = [];
  for (const g of groups) {
    if (!isObj(g)) w.fail('each group must be a map');
    const name = w.str(g, 'name', true);
    const gw: Where = w.at(`group ${JSON.stringify(name)}`);
    const folder = gw.str(g, 'folder', true);
    const intervalMs = gw.duration(g, 'interval', 60_000);
    if (intervalMs <= 0) gw.fail('"interval" must be positive');
    if (!Array.isArray(g.rules)) gw.fail('"rules" must be a list');
    for (const r of g.rules) {
      if (!isObj(r)) gw.fail('each rule must be a map');
      const uid = gw.str(r, 'uid', true);
      const rw: Where = gw.at(`rule ${JSON.stringify(uid)}`);
      if (r.record !== undefined) rw.fail('recording rules are not supported by the built-in evaluator');
      const title = rw.str(r, 'title', true);
      const condition = rw.str(r, 'condition', true);
      if (!Array.isArray(r.data) || r.data.length === 0) rw.fail('"data" must be a non-empty list');
      const data = r.data.map((d) => dataStep(rw, d));
      const refs = new Set<string>();
      for (const d of data) {
        if (refs.has(d.refId)) rw.fail(`refId ${d.refId} appears twice`);
        if (d.kind === 'threshold' || d.kind === 'reduce') if (!refs.has(d.input)) rw.fail(`${d.refId} refers to ${d.input}, which is not defined before it`);
        if (d.kind === 'math') for (const ref of mathRefs(d.expression)) if (!refs.has(ref)) rw.fail(`${d.refId} refers to $${ref}, which is not defined before it`);
        refs.add(d.refId);
      }
      if (!refs.has(condition)) rw.fail(`condition ${condition} is not one of the refIds ${[...refs].join(', ')}`);
      const ns = isObj(r.notification_settings) ? r.notification_settings : {};
      const groupBy = Array.isArray(ns.group_by) && ns.group_by.every((x) => typeof x === 'string') ? (ns.group_by as string[]) : ['alertname', 'function'];
      rules.push({
        uid,
        title,
        group: name,
        folder,
        file,
        intervalMs,
        forMs: rw.duration(r, 'for', 0),
        keepFiringForMs: rw.duration(r, 'keepFiringFor', 0),
        condition,
        // No rows means "nothing to alert on" here (NoData/OK); a synthetic no-data alert is not implemented, so say so.
        noDataState: rw.oneOf(r, 'noDataState', ['NoData', 'OK'] as const, 'NoData'),
        execErrState: rw.oneOf(r, 'execErrState', ['Alerting', 'Error', 'OK', 'KeepLast'] as const, 'Alerting'),
        isPaused: r.isPaused === true,
        labels: rw.strMap(r, 'labels'),
        annotations: rw.strMap(r, 'annotations'),
        groupBy,
        data,
      });
    }
  }
  return rules;
}

function mathRefs(n: MathNode): string[] {
  switch (n.t) {
    case 'ref':
      return [n.ref];
    case 'num':
      return [];
    case 'un':
      return mathRefs(n.a);
    case 'bin':
      return [...mathRefs(n.a), ...mathRefs(n.b)];
    case 'call':
      return n.args.flatMap(mathRefs);
  }
}

/** Every rule in `dir`'s *.yaml / *.yml files, in file order. Rule uids must be unique. */
export function loadRules(dir: string): Rule[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch (e) {
    throw new IsotelError('ISOTEL_ERR_ALERT_RULE_INVALID', `cannot read the rules directory ${dir}: ${(e as Error).message}`);
  }
  const rules = files.flatMap((f) => parseRuleFile(readFileSync(join(dir, f), 'utf8'), join(dir, f)));
  const seen = new Map<string, string>();
  for (const r of rules) {
    const other = seen.get(r.uid);
    if (other) throw new IsotelError('ISOTEL_ERR_ALERT_RULE_INVALID', `${r.file}: rule uid ${JSON.stringify(r.uid)} is also defined in ${other}`);
    seen.set(r.uid, r.file);
  }
  return rules;
}
