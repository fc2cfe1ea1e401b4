/**
 * The subset of Grafana's annotation templates (Go text/template) the evaluator
 * renders: `{{ $labels.x }}`, `{{ index $labels "x" }}`, `{{ $values.R.Value }}`,
 * `{{ $values.R }}`, `{{ printf "%.2f" <arg> }}`, `{{ humanize <arg> }}`,
 * `{{ humanizePercentage <arg> }}`. Anything else renders as `<unsupported: …>`
 * rather than failing the alert: a notification with a rough text beats none.
 */
export interface TemplateData {
  labels: Readonly<Record<string, string>>;
  values: Readonly<Record<string, number>>;
}

function arg(tok: string, d: TemplateData): string | number {
  let m = /^\$labels\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(tok);
  if (m) return d.labels[m[1]!] ?? '';
  m = /^\$values\.([A-Za-z0-9_]+)(?:\.Value)?$/.exec(tok);
  if (m) return d.values[m[1]!] ?? NaN;
  if (/^"(?:[^"\\]|\\.)*"$/.test(tok)) return JSON.parse(tok) as string;
  if (/^-?\d+(\.\d+)?$/.test(tok)) return Number(tok);
  throw new Error(tok);
}

/** Go's %v/%f/%g/%e/%d/%s for one argument. */
function printf(fmt: string, v: string | number): string {
  return fmt.replace(/%(-?\d*)(?:\.(\d+))?([vfgeds%])/g, (_m, _w: string, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (typeof v === 'string' || verb === 's' || verb === 'v') return typeof v === 'number' ? fmtNumber(v) : v;
    if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
    const p = prec === undefined ? undefined : Number(prec);
    if (verb === 'f') return v.toFixed(p ?? 6);
    if (verb === 'e') return v.toExponential(p ?? 6);
    if (verb === 'd') return String(Math.trunc(v));
    return p === undefined ? fmtNumber(v) : String(Number(v.toPrecision(Math.max(1, p))));
  });
}

function fmtNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

function humanize(v: number): string {
  if (!Number.isFinite(v) || v === 0) return fmtNumber(v);
  const units = ['', 'k', 'M', 'G', 'T', 'P'];
  let i = 0;
  let x = v;
  while (Math.abs(x) >= 1000 && i < units.length - 1) {
    x /= 1000;
    i++;
  }
  return `${Number(x.toPrecision(4))}${units[i]}`;
}

function action(body: string, d: TemplateData): string {
  const toks = body.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
  const [head, ...rest] = toks;
  if (head === undefined) return '';
  const num = (t: string | undefined) => {
    const v = t === undefined ? NaN : arg(t, d);
    return typeof v === 'number' ? v : Number(v);
  };
  if (head === 'printf' && rest.length === 2) return printf(String(arg(rest[0]!, d)), arg(rest[1]!, d));
  if (head === 'humanize' && rest.length === 1) return humanize(num(rest[0]));
  if (head === 'humanizePercentage' && rest.length === 1) return `${fmtNumber(Number((num(rest[0]) * 100).toPrecision(4)))}%`;
  if (head === 'index' && rest[0] === '$labels' && rest.length === 2) return String(d.labels[String(arg(rest[1]!, d))] ?? '');
  if (rest.length === 0) {
    const v = arg(head, d);
    return typeof v === 'number' ? fmtNumber(v) : v;
  }
  throw new Error(body);
}

export function renderTemplate(text: string, d: TemplateData): string {
  return text.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (_m, body: string) => {
    try {
      return action(body, d);
    } catch {
      return `<unsupported: ${body}>`;
    }
  });
}
