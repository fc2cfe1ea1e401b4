/**
 * The part of Grafana's server-side expressions the rule files use, over "number
 * sets" (labelled numbers, what a numeric table query returns): math ($A > 1.2 &&
 * $B < 0.01), threshold and reduce. Binary operations join two sets on labels the
 * way Grafana does: equal label sets, or one a subset of the other (the result keeps
 * the larger set); a plain number applies to every member. NaN compares false.
 */
export interface Labelled {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}
export type NumberSet = Labelled[];

export type MathNode =
  | { t: 'num'; v: number }
  | { t: 'ref'; ref: string }
  | { t: 'un'; op: '-' | '!'; a: MathNode }
  | { t: 'bin'; op: string; a: MathNode; b: MathNode }
  | { t: 'call'; fn: string; args: MathNode[] };

const FUNCS: Record<string, (x: number) => number> = { abs: Math.abs, log: Math.log, exp: Math.exp, round: Math.round, ceil: Math.ceil, floor: Math.floor, is_nan: (x) => (Number.isNaN(x) ? 1 : 0), is_inf: (x) => (Math.abs(x) === Infinity ? 1 : 0) };
// Precedence, lowest first (Grafana's math follows Go's).
const LEVELS = [['||'], ['&&'], ['==', '!=', '<', '<=', '>', '>='], ['+', '-'], ['*', '/', '%'], ['**']];

/** Parses a math expression; throws an Error naming the position on bad syntax. */
export function parseMath(src: string): MathNode {
  const tokens: { k: string; v: string; at: number }[] = [];
  const re = /\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)|\$\{([A-Za-z0-9_ -]+)\}|\$([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*)|(\*\*|&&|\|\||==|!=|<=|>=|[-+*/%<>!(),]))/y;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(src);
    const ws = /^\s*/.exec(src.slice(pos))![0].length;
    if (!m) throw new Error(`unexpected ${JSON.stringify(src[pos + ws])} at ${pos + ws}`);
    const at = pos + ws;
    pos = re.lastIndex;
    if (m[1] !== undefined) tokens.push({ k: 'num', v: m[1], at });
    else if (m[2] !== undefined || m[3] !== undefined) tokens.push({ k: 'ref', v: (m[2] ?? m[3])!, at });
    else if (m[4] !== undefined) tokens.push({ k: 'id', v: m[4], at });
    else tokens.push({ k: 'op', v: m[5]!, at });
  }
  let i = 0;
  const peek = () => tokens[i];
  const expectOp = (v: string) => {
    const t = tokens[i];
    if (!t || t.k !== 'op' || t.v !== v) throw new Error(`expected "${v}" at ${t ? t.at : src.length}`);
    i++;
  };
  const level = (n: number): MathNode => {
    if (n === LEVELS.length) return unary();
    let a = level(n + 1);
    for (let t = peek(); t && t.k === 'op' && LEVELS[n]!.includes(t.v); t = peek()) {
      i++;
      a = { t: 'bin', op: t.v, a, b: level(n + 1) };
    }
    return a;
  };
  const unary = (): MathNode => {
    const t = peek();
    if (t && t.k === 'op' && (t.v === '-' || t.v === '!')) {
      i++;
      return { t: 'un', op: t.v, a: unary() };
    }
    return primary();
  };
  const primary = (): MathNode => {
    const t = tokens[i++];
    if (!t) throw new Error('unexpected end of expression');
    if (t.k === 'num') return { t: 'num', v: Number(t.v) };
    if (t.k === 'ref') return { t: 'ref', ref: t.v };
    if (t.k === 'id') {
      if (!FUNCS[t.v]) throw new Error(`unknown function ${t.v} at ${t.at} (known: ${Object.keys(FUNCS).join(', ')})`);
      expectOp('(');
      const arg = level(0);
      expectOp(')');
      return { t: 'call', fn: t.v, args: [arg] };
    }
    if (t.v === '(') {
      const e = level(0);
      expectOp(')');
      return e;
    }
    throw new Error(`unexpected "${t.v}" at ${t.at}`);
  };
  const out = level(0);
  if (i < tokens.length) throw new Error(`unexpected "${tokens[i]!.v}" at ${tokens[i]!.at}`);
  return out;
}

function binary(op: string, x: number, y: number): number {
  switch (op) {
    case '+': return x + y;
    case '-': return x - y;
    case '*': return x * y;
    case '/': return x / y;
    case '%': return x % y;
    case '**': return x ** y;
    case '==': return x === y ? 1 : 0;
    case '!=': return x !== y ? 1 : 0;
    case '<': return x < y ? 1 : 0;
    case '<=': return x <= y ? 1 : 0;
    case '>': return x > y ? 1 : 0;
    case '>=': return x >= y ? 1 : 0;
    case '&&': return truthy(x) && truthy(y) ? 1 : 0;
    case '||': return truthy(x) || truthy(y) ? 1 : 0;
  }
  throw new Error(`unknown operator ${op}`);
}

const truthy = (x: number) => !Number.isNaN(x) && x !== 0;

function subset(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  return Object.entries(a).every(([k, v]) => b[k] === v);
}

type Value = number | NumberSet;

function combine(op: string, a: Value, b: Value): Value {
  if (typeof a === 'number' && typeof b === 'number') return binary(op, a, b);
  if (typeof a === 'number') return (b as NumberSet).map((m) => ({ labels: m.labels, value: binary(op, a, m.value) }));
  if (typeof b === 'number') return a.map((m) => ({ labels: m.labels, value: binary(op, m.value, b) }));
  const out: NumberSet = [];
  for (const x of a) {
    for (const y of b) {
      if (subset(x.labels, y.labels)) out.push({ labels: y.labels, value: binary(op, x.value, y.value) });
      else if (subset(y.labels, x.labels)) out.push({ labels: x.labels, value: binary(op, x.value, y.value) });
    }
  }
  return out;
}

/** Evaluates a parsed math expression against the results so far (refId → set). */
export function evalMath(n: MathNode, vars: ReadonlyMap<string, NumberSet>): NumberSet {
  const go = (n: MathNode): Value => {
    switch (n.t) {
      case 'num':
        return n.v;
      case 'ref': {
        const v = vars.get(n.ref);
        if (!v) throw new Error(`$${n.ref} has no result`);
        return v;
      }
      case 'un': {
        const f = n.op === '-' ? (x: number) => -x : (x: number) => (truthy(x) ? 0 : 1);
        const a = go(n.a);
        return typeof a === 'number' ? f(a) : a.map((m) => ({ labels: m.labels, value: f(m.value) }));
      }
      case 'bin':
        return combine(n.op, go(n.a), go(n.b));
      case 'call': {
        const f = FUNCS[n.fn]!;
        const a = go(n.args[0]!);
        return typeof a === 'number' ? f(a) : a.map((m) => ({ labels: m.labels, value: f(m.value) }));
      }
    }
  };
  const v = go(n);
  return typeof v === 'number' ? [{ labels: {}, value: v }] : v;
}

export function evalThreshold(input: NumberSet, ev: { type: string; params: number[] }): NumberSet {
  const [p0 = NaN, p1 = NaN] = ev.params;
  const lo = Math.min(p0, p1);
  const hi = Math.max(p0, p1);
  const test: (x: number) => boolean =
    ev.type === 'gt' ? (x) => x > p0
    : ev.type === 'lt' ? (x) => x < p0
    : ev.type === 'within_range' ? (x) => x > lo && x < hi
    : ev.type === 'within_range_included' ? (x) => x >= lo && x <= hi
    : ev.type === 'outside_range' ? (x) => x < lo || x > hi
    : (x) => x <= lo || x >= hi;
  return input.map((m) => ({ labels: m.labels, value: test(m.value) ? 1 : 0 }));
}

/** A numeric table's rows are already one number per label set, so reduce only applies its NaN mode. */
export function evalReduce(input: NumberSet, mode: 'strict' | 'dropNN' | 'replaceNN', replaceWith: number): NumberSet {
  if (mode === 'dropNN') return input.filter((m) => Number.isFinite(m.value));
  if (mode === 'replaceNN') return input.map((m) => ({ labels: m.labels, value: Number.isFinite(m.value) ? m.value : replaceWith }));
  return input;
}

const NUMERIC = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal.*|BFloat16)\)?$/;

/**
 * A query result as a number set: string columns become labels, exactly one numeric
 * column is the value (Grafana's rule for alerting on tables). null/NaN become NaN.
 */
export function tableToNumbers(meta: readonly { name: string; type: string }[], rows: readonly Record<string, unknown>[]): NumberSet {
  const numeric = meta.filter((c) => NUMERIC.test(c.type));
  if (numeric.length !== 1) throw new Error(`a rule query must return exactly one numeric column (and string label columns), got ${numeric.length}: ${meta.map((c) => `${c.name} ${c.type}`).join(', ')}`);
  const valueCol = numeric[0]!.name;
  const labelCols = meta.filter((c) => c.name !== valueCol).map((c) => c.name);
  const seen = new Set<string>();
  return rows.map((r) => {
    const labels: Record<string, string> = {};
    for (const c of labelCols) labels[c] = r[c] === null || r[c] === undefined ? '' : String(r[c]);
    const key = JSON.stringify(labels);
    if (seen.has(key)) throw new Error(`two rows have the same labels ${key}: each row must be identified by its string columns`);
    seen.add(key);
    const raw = r[valueCol];
    const value = raw === null || raw === undefined ? NaN : Number(raw);
    return { labels, value };
  });
}
