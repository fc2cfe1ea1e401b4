/**
 * Traces: a list of invocations (root SERVER spans) and a waterfall of one trace —
 * spans per service, the cold-start phases in their own colours, attributes, resource
 * and events of a span on click, and the trace's logs underneath.
 */
import { api, type LogRow, type Span, type TraceRow } from './api.js';
import { formatDurationNs, formatTime, formatTimeMs, nsToMs } from './format.js';
import { PALETTE } from './panels.js';

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & { className?: string } = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};

export const PHASE_COLORS: Record<string, string> = {
  'isotel.coldstart': '#FF780A',
  'isotel.coldstart.acquire': '#8AB8FF',
  'isotel.coldstart.compile': '#B877D9',
  'isotel.coldstart.evaluate': '#FADE2A',
  'isotel.coldstart.dispatch': '#96D98D',
};

export interface TraceListQuery {
  from: string;
  to: string;
  function: string;
  minMs: string;
  errors: boolean;
  sort: 'slowest' | 'recent';
}

export async function renderTraceList(root: HTMLElement, q: TraceListQuery, functions: string[], onChange: (q: TraceListQuery) => void): Promise<void> {
  const fnSel = el('select', { id: 'trace-fn' }, el('option', { value: '', textContent: 'All functions' }), ...functions.map((f) => el('option', { value: f, textContent: f, selected: f === q.function })));
  const minInput = el('input', { id: 'trace-min', type: 'number', min: '0', placeholder: 'min ms', value: q.minMs });
  const errors = el('input', { id: 'trace-errors', type: 'checkbox', checked: q.errors });
  const sort = el('select', { id: 'trace-sort' }, el('option', { value: 'slowest', textContent: 'Slowest first', selected: q.sort === 'slowest' }), el('option', { value: 'recent', textContent: 'Most recent first', selected: q.sort === 'recent' }));
  const apply = (): void => onChange({ ...q, function: fnSel.value, minMs: minInput.value, errors: errors.checked, sort: sort.value as 'slowest' | 'recent' });
  for (const c of [fnSel, errors, sort]) c.addEventListener('change', apply);
  minInput.addEventListener('change', apply);
  const filters = el('div', { className: 'trace-filters' }, fnSel, minInput, el('label', { className: 'check' }, errors, ' errors only'), sort);
  const body = el('div', { className: 'panel trace-list' }, el('div', { className: 'loading', textContent: 'Loading…' }));
  root.replaceChildren(el('div', { className: 'page-head' }, el('h1', { textContent: 'Traces' }), filters), body);

  const params: Record<string, string> = { from: q.from, to: q.to, sort: q.sort, limit: '200' };
  if (q.function) params.function = q.function;
  if (q.minMs) params.minMs = q.minMs;
  if (q.errors) params.errors = 'true';
  let traces: TraceRow[];
  try {
    traces = (await api.traces(params)).traces;
  } catch (e) {
    body.replaceChildren(el('div', { className: 'panel-error', textContent: (e as Error).message }));
    return;
  }
  if (traces.length === 0) {
    body.replaceChildren(el('div', { className: 'no-data', textContent: 'No invocations in this time range' }));
    return;
  }
  const max = Math.max(...traces.map((t) => t.duration_ns));
  const table = el('table', { className: 'traces' });
  table.createTHead().append(el('tr', {}, ...['Time', 'Function', 'Version', 'Request', 'Status', 'Start', 'Duration'].map((h) => el('th', { textContent: h }))));
  const tb = table.createTBody();
  for (const t of traces) {
    const bar = el('div', { className: 'dur-bar' });
    bar.style.width = `${Math.max(1, (t.duration_ns / max) * 100)}%`;
    if (t.status === 'Error') bar.classList.add('err');
    const tr = el(
      'tr',
      { className: 'trace-row' },
      el('td', { textContent: formatTime(nsToMs(t.start_ns)) }),
      el('td', {}, el('a', { href: `#/trace/${t.trace_id}`, textContent: t.function, className: 'trace-open' })),
      el('td', { textContent: t.version }),
      el('td', { className: 'mono', textContent: `${t.method} ${t.path}` }),
      el('td', { className: t.status === 'Error' ? 'bad' : '', textContent: t.http_status || t.status }),
      el('td', { className: t.cold ? 'cold' : '', textContent: t.cold ? 'cold' : 'warm' }),
      el('td', { className: 'dur' }, el('span', { textContent: formatDurationNs(t.duration_ns) }), bar),
    );
    tr.dataset.traceId = t.trace_id;
    tr.addEventListener('click', (e) => {
      if ((e.target as HTMLElement).tagName !== 'A') location.hash = `#/trace/${t.trace_id}`;
    });
    tb.append(tr);
  }
  body.replaceChildren(table);
}

interface SpanNode {
  span: Span;
  depth: number;
  children: SpanNode[];
}

/** Parent/child tree in start order; spans whose parent is missing become roots. */
export function spanTree(spans: Span[]): SpanNode[] {
  const nodes = new Map(spans.map((s) => [s.span_id, { span: s, depth: 0, children: [] as SpanNode[] }]));
  const roots: SpanNode[] = [];
  for (const n of nodes.values()) {
    const p = n.span.parent_span_id ? nodes.get(n.span.parent_span_id) : undefined;
    if (p && p !== n) p.children.push(n);
    else roots.push(n);
  }
  const out: SpanNode[] = [];
  const byStart = (a: SpanNode, b: SpanNode): number => (BigInt(a.span.start_ns) < BigInt(b.span.start_ns) ? -1 : BigInt(a.span.start_ns) > BigInt(b.span.start_ns) ? 1 : 0);
  const walk = (n: SpanNode, depth: number): void => {
    n.depth = depth;
    out.push(n);
    n.children.sort(byStart).forEach((c) => walk(c, depth + 1));
  };
  roots.sort(byStart).forEach((r) => walk(r, 0));
  return out;
}

function kvTable(title: string, kv: Record<string, string>): HTMLElement {
  const keys = Object.keys(kv).sort();
  const t = el('table', { className: 'kv' });
  for (const k of keys) t.append(el('tr', {}, el('td', { className: 'k', textContent: k }), el('td', { className: 'v', textContent: kv[k] ?? '' })));
  return el('div', { className: 'kv-block' }, el('h4', { textContent: `${title} (${keys.length})` }), keys.length ? t : el('div', { className: 'muted', textContent: 'none' }));
}

export async function renderTrace(root: HTMLElement, traceId: string): Promise<void> {
  root.replaceChildren(el('div', { className: 'loading', textContent: `Loading trace ${traceId}…` }));
  let data: Awaited<ReturnType<typeof api.trace>>;
  try {
    data = await api.trace(traceId);
  } catch (e) {
    root.replaceChildren(el('div', { className: 'page-head' }, el('h1', { textContent: 'Trace' })), el('div', { className: 'panel-error', textContent: (e as Error).message }));
    return;
  }
  const nodes = spanTree(data.spans);
  const t0 = data.spans.reduce((m, s) => (BigInt(s.start_ns) < m ? BigInt(s.start_ns) : m), BigInt(data.spans[0]!.start_ns));
  const end = data.spans.reduce((m, s) => {
    const e = BigInt(s.start_ns) + BigInt(Math.round(s.duration_ns));
    return e > m ? e : m;
  }, t0);
  const total = Math.max(1, Number(end - t0));
  const root0 = nodes[0]!.span;
  const services = [...new Set(data.spans.map((s) => s.service))];
  const color = (s: Span): string => PHASE_COLORS[s.name] ?? PALETTE[services.indexOf(s.service) % PALETTE.length]!;
  const cold = data.spans.some((s) => s.name === 'isotel.coldstart');
  const errors = data.spans.filter((s) => s.status === 'Error').length;

  const head = el(
    'div',
    { className: 'page-head trace-head' },
    el('h1', {}, root0.service === root0.name ? root0.name : `${root0.service}: ${root0.name}`, el('span', { className: 'trace-id mono', textContent: traceId })),
    el(
      'div',
      { className: 'trace-meta' },
      el('span', { textContent: formatTime(nsToMs(root0.start_ns)) }),
      el('span', { textContent: `duration ${formatDurationNs(total)}` }),
      el('span', { textContent: `${data.spans.length} span${data.spans.length === 1 ? '' : 's'}` }),
      el('span', { textContent: `${services.length} service${services.length === 1 ? '' : 's'}` }),
      cold ? el('span', { className: 'cold', textContent: 'cold start' }) : el('span', { className: 'muted', textContent: 'warm' }),
      errors ? el('span', { className: 'bad', textContent: `${errors} error${errors === 1 ? '' : 's'}` }) : '',
      data.truncated ? el('span', { className: 'bad', textContent: 'truncated at 5000 spans' }) : '',
    ),
  );
  const legend = el('div', { className: 'legend' }, ...services.map((s, i) => el('span', { className: 'chip' }, el('i', { style: `background:${PALETTE[i % PALETTE.length]}` } as never), s)));
  if (cold) for (const [n, c] of Object.entries(PHASE_COLORS)) legend.append(el('span', { className: 'chip' }, el('i', { style: `background:${c}` } as never), n.replace('isotel.coldstart.', 'phase: ').replace('isotel.coldstart', 'cold start')));

  const ticks = el('div', { className: 'wf-ticks' });
  for (let i = 0; i <= 4; i++) {
    const t = el('span', { textContent: formatDurationNs((total * i) / 4) });
    t.style.left = `${i * 25}%`;
    ticks.append(t);
  }
  const wf = el('div', { className: 'waterfall' }, el('div', { className: 'wf-row wf-header' }, el('div', { className: 'wf-name', textContent: 'Span' }), el('div', { className: 'wf-track' }, ticks)));
  const detailFor = (s: Span): HTMLElement => {
    const startOffset = Number(BigInt(s.start_ns) - t0);
    const events = el(
      'div',
      { className: 'kv-block' },
      el('h4', { textContent: `Events (${s.events.length})` }),
      ...(s.events.length
        ? s.events.map((e) => el('div', { className: 'event' }, el('div', {}, el('strong', { textContent: e.name }), ` at +${formatDurationNs(Number(BigInt(e.time_ns) - t0))}`), kvTable('attributes', e.attributes)))
        : [el('div', { className: 'muted', textContent: 'none' })]),
    );
    return el(
      'div',
      { className: 'wf-detail' },
      el(
        'div',
        { className: 'detail-meta' },
        el('span', { textContent: `${s.kind} span` }),
        el('span', { textContent: `start +${formatDurationNs(startOffset)}` }),
        el('span', { textContent: `duration ${formatDurationNs(s.duration_ns)}` }),
        el('span', { className: s.status === 'Error' ? 'bad' : '', textContent: `status ${s.status}${s.status_message ? `: ${s.status_message}` : ''}` }),
        el('span', { className: 'mono', textContent: `span ${s.span_id}` }),
      ),
      el('div', { className: 'kv-cols' }, kvTable('Span attributes', s.attributes), kvTable('Resource', s.resource), events),
    );
  };
  const rows = new Map<string, HTMLElement>();
  for (const n of nodes) {
    const s = n.span;
    const off = Number(BigInt(s.start_ns) - t0);
    const bar = el('div', { className: 'wf-bar' });
    bar.style.left = `${(off / total) * 100}%`;
    bar.style.width = `max(2px, ${(s.duration_ns / total) * 100}%)`;
    bar.style.background = color(s);
    if (s.status === 'Error') bar.classList.add('err');
    const label = el('span', { className: 'wf-dur', textContent: formatDurationNs(s.duration_ns) });
    if ((off + s.duration_ns) / total > 0.85) label.classList.add('inside'); // no room right of the bar: label inside it
    else label.style.left = `calc(${((off + s.duration_ns) / total) * 100}% + 4px)`;
    const name = el('div', { className: 'wf-name' }, el('span', { className: 'svc', textContent: s.service }), el('span', { className: 'op', textContent: s.name }));
    name.style.paddingLeft = `${8 + n.depth * 14}px`;
    const row = el('div', { className: 'wf-row' + (PHASE_COLORS[s.name] ? ' wf-cold' : '') }, name, el('div', { className: 'wf-track' }, bar, label));
    row.dataset.spanId = s.span_id;
    row.dataset.spanName = s.name;
    row.addEventListener('click', () => {
      const open = row.nextElementSibling?.classList.contains('wf-detail');
      wf.querySelectorAll('.wf-detail').forEach((d) => d.remove());
      wf.querySelectorAll('.wf-row.selected').forEach((r) => r.classList.remove('selected'));
      if (!open) {
        row.classList.add('selected');
        row.after(detailFor(s));
      }
    });
    rows.set(s.span_id, row);
    wf.append(row);
  }

  const logs = el('div', { className: 'panel trace-logs' }, el('h3', { textContent: `Logs (${data.logs.length})` }));
  if (data.logs.length === 0) logs.append(el('div', { className: 'no-data small', textContent: 'No logs for this trace' }));
  for (const l of data.logs as LogRow[]) {
    const row = el(
      'div',
      { className: 'log-row' },
      el('span', { className: 'log-time', textContent: `${formatTimeMs(nsToMs(l.time_ns))} (+${formatDurationNs(Number(BigInt(l.time_ns) - t0))})` }),
      el('span', { className: `log-level lvl-${l.level.toLowerCase()}`, textContent: l.level || '—' }),
      el('span', { className: 'log-body', textContent: l.body }),
    );
    const target = rows.get(l.span_id);
    if (target)
      row.append(
        el('a', {
          className: 'trace-link',
          href: 'javascript:void 0',
          textContent: 'span',
          onclick: () => {
            target.scrollIntoView({ block: 'center' });
            target.click();
          },
        }),
      );
    logs.append(row);
  }
  root.replaceChildren(head, legend, el('div', { className: 'panel' }, wf), logs);
}
