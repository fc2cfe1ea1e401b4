/**
 * The built-in viewer: renders dashboards/*.json (the same files Grafana imports) with a
 * time range picker, auto-refresh and template variables; plus the trace list and the
 * trace waterfall. State lives in the URL hash, so every view can be linked:
 *   #/d/<uid>?from=now-6h&to=now&refresh=30s&var-function=checkout
 *   #/traces?from=now-1h&function=checkout&sort=slowest
 *   #/trace/<traceId>
 */
import { api, type Dashboard, type DashboardSummary, type Panel, type ResolvedVariable } from './api.js';
import { formatTime } from './format.js';
import { renderPanel } from './panels.js';
import { renderTrace, renderTraceList } from './traces.js';

const RANGES: [string, string][] = [
  ['now-5m', 'Last 5 minutes'],
  ['now-15m', 'Last 15 minutes'],
  ['now-1h', 'Last 1 hour'],
  ['now-3h', 'Last 3 hours'],
  ['now-6h', 'Last 6 hours'],
  ['now-12h', 'Last 12 hours'],
  ['now-24h', 'Last 24 hours'],
  ['now-2d', 'Last 2 days'],
  ['now-7d', 'Last 7 days'],
];
const REFRESH = ['off', '5s', '10s', '30s', '1m', '5m'];

const $ = <T extends HTMLElement>(sel: string): T => document.querySelector(sel) as T;
const h = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & { className?: string } = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};

interface Route {
  view: 'dashboard' | 'traces' | 'trace';
  id: string;
  params: URLSearchParams;
}

function route(): Route {
  const hash = location.hash.replace(/^#/, '') || '/d/isotel-fleet-density';
  const [path = '', query = ''] = hash.split('?');
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'traces') return { view: 'traces', id: '', params };
  if (parts[0] === 'trace') return { view: 'trace', id: parts[1] ?? '', params };
  return { view: 'dashboard', id: parts[1] ?? 'isotel-fleet-density', params };
}

function go(path: string, params: URLSearchParams): void {
  const q = params.toString();
  location.hash = `#${path}${q ? `?${q}` : ''}`;
}

let summaries: DashboardSummary[] = [];
let generation = 0;
let timer: ReturnType<typeof setInterval> | undefined;
/** Range shared across views (the picker in the top bar). */
const state = { from: 'now-6h', to: 'now', refresh: '30s' };

function parseInterval(s: string): number {
  const m = /^(\d+)(s|m|h)$/.exec(s);
  return m ? Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'] : 0;
}

function topBar(r: Route): void {
  const nav = $('#nav');
  nav.replaceChildren(
    ...summaries.map((d) => h('a', { href: `#/d/${d.uid}?from=${state.from}&to=${state.to}`, textContent: d.title.replace(/^isotel · /, ''), className: r.view === 'dashboard' && r.id === d.uid ? 'active' : '' })),
    h('a', { href: `#/traces?from=${state.from}&to=${state.to}`, textContent: 'Traces', className: r.view !== 'dashboard' ? 'active' : '' }),
  );
  const range = $<HTMLSelectElement>('#range');
  const known = RANGES.some(([v]) => v === state.from) && state.to === 'now';
  range.replaceChildren(...RANGES.map(([v, label]) => h('option', { value: v, textContent: label, selected: v === state.from && state.to === 'now' })));
  if (!known) range.prepend(h('option', { value: '', textContent: `${formatTime(Number(state.from) || 0)} → ${state.to === 'now' ? 'now' : formatTime(Number(state.to))}`, selected: true }));
  const refresh = $<HTMLSelectElement>('#refresh');
  refresh.replaceChildren(...REFRESH.map((v) => h('option', { value: v, textContent: v === 'off' ? 'Auto-refresh off' : `Every ${v}`, selected: v === state.refresh })));
}

function setParams(mut: (p: URLSearchParams) => void): void {
  const r = route();
  const p = new URLSearchParams(r.params);
  mut(p);
  go(r.view === 'dashboard' ? `/d/${r.id}` : r.view === 'traces' ? '/traces' : `/trace/${r.id}`, p);
}

function wireTopBar(): void {
  $<HTMLSelectElement>('#range').addEventListener('change', (e) => {
    const v = (e.target as HTMLSelectElement).value;
    if (!v) return;
    setParams((p) => {
      p.set('from', v);
      p.set('to', 'now');
    });
  });
  $<HTMLSelectElement>('#refresh').addEventListener('change', (e) => setParams((p) => p.set('refresh', (e.target as HTMLSelectElement).value)));
  $<HTMLButtonElement>('#reload').addEventListener('click', () => void render(true));
}

// --- dashboards -------------------------------------------------------------------

function varControl(v: ResolvedVariable, onChange: (value: string | string[]) => void): HTMLElement {
  const label = h('label', { className: 'var' }, h('span', { textContent: v.label }));
  if (!v.multi) {
    const sel = h('select', { name: `var-${v.name}` });
    if (v.includeAll) sel.append(h('option', { value: '$__all', textContent: 'All', selected: v.value === '$__all' }));
    for (const o of v.options) sel.append(h('option', { value: o, textContent: o, selected: o === v.value }));
    sel.addEventListener('change', () => onChange(sel.value));
    label.append(sel);
    return label;
  }
  // Multi-value: a dropdown of checkboxes, "All" first.
  const current = new Set(Array.isArray(v.value) ? v.value : [v.value]);
  const summary = current.has('$__all') ? 'All' : [...current].join(' + ') || 'none';
  const details = h('details', { className: 'multi' }, h('summary', { textContent: summary }));
  details.dataset.var = v.name;
  const list = h('div', { className: 'multi-list' });
  const boxes: HTMLInputElement[] = [];
  const entry = (value: string, text: string): void => {
    const cb = h('input', { type: 'checkbox', value, checked: current.has(value) });
    boxes.push(cb);
    list.append(h('label', {}, cb, text));
  };
  if (v.includeAll) entry('$__all', 'All');
  for (const o of v.options) entry(o, o);
  const apply = h('button', { textContent: 'Apply', type: 'button' });
  apply.addEventListener('click', () => {
    const picked = boxes.filter((b) => b.checked).map((b) => b.value);
    onChange(picked.includes('$__all') || picked.length === 0 ? ['$__all'] : picked);
  });
  list.append(apply);
  details.append(list);
  label.append(details);
  return label;
}

function interpolateTitle(title: string, vars: ResolvedVariable[]): string {
  return title.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a?: string, b?: string) => {
    const v = vars.find((x) => x.name === (a ?? b));
    if (!v) return m;
    return Array.isArray(v.value) ? (v.value.includes('$__all') ? 'All' : v.value.join(', ')) : v.value === '$__all' ? 'All' : v.value;
  });
}

async function renderDashboard(root: HTMLElement, r: Route, gen: number, refreshOnly: boolean): Promise<void> {
  const uid = r.id;
  let d: Dashboard;
  try {
    d = await api.dashboard(uid);
  } catch (e) {
    root.replaceChildren(h('div', { className: 'panel-error', textContent: (e as Error).message }));
    return;
  }
  const vars: Record<string, string | string[]> = {};
  for (const [k, v] of r.params) {
    if (!k.startsWith('var-')) continue;
    const name = k.slice(4);
    const all = r.params.getAll(k);
    vars[name] = all.length > 1 ? all : v;
  }
  const range = { from: state.from, to: state.to };
  const resolved = (await api.variables(uid, { ...range, vars })).variables;
  if (gen !== generation) return;
  const values = Object.fromEntries(resolved.map((v) => [v.name, v.value]));

  let grid = root.querySelector<HTMLElement>('.grid');
  if (!refreshOnly || !grid || root.dataset.uid !== uid) {
    root.dataset.uid = uid;
    const varBar = h('div', { className: 'vars' });
    for (const v of resolved.filter((x) => !x.hidden)) {
      varBar.append(
        varControl(v, (value) =>
          setParams((p) => {
            p.delete(`var-${v.name}`);
            for (const x of Array.isArray(value) ? value : [value]) p.append(`var-${v.name}`, x);
          }),
        ),
      );
    }
    const head = h('div', { className: 'page-head' }, h('div', {}, h('h1', { textContent: d.title }), h('p', { className: 'desc', textContent: d.description ?? '' })), varBar);
    grid = h('div', { className: 'grid' });
    let rowY = 0;
    for (const p of d.panels) {
      const pos = p.gridPos;
      rowY = Math.max(rowY, pos.y + pos.h);
      if (p.type === 'row') {
        const row = h('div', { className: 'row-title', textContent: interpolateTitle(p.title, resolved) });
        row.style.gridColumn = '1 / span 24';
        row.style.gridRow = `${pos.y + 1} / span 1`;
        grid.append(row);
        continue;
      }
      const body = h('div', { className: 'panel-body' });
      body.dataset.state = 'loading';
      const info = h('span', { className: 'panel-info' });
      const header = h('div', { className: 'panel-header' }, h('span', { className: 'panel-title', textContent: interpolateTitle(p.title, resolved), title: p.description ?? '' }), info);
      const box = h('section', { className: `panel panel-${p.type}` }, header, body);
      box.dataset.panelId = String(p.id);
      box.dataset.panelType = p.type;
      box.dataset.title = p.title;
      box.style.gridColumn = `${pos.x + 1} / span ${pos.w}`;
      box.style.gridRow = `${pos.y + 1} / span ${pos.h}`;
      grid.append(box);
    }
    root.replaceChildren(head, grid);
  }
  // Panels load a few at a time (one ClickHouse behind them), top to bottom.
  const panels = d.panels.filter((p) => p.type !== 'row');
  const queue = [...panels];
  const worker = async (): Promise<void> => {
    for (let p = queue.shift(); p; p = queue.shift()) {
      if (gen !== generation) return;
      await loadPanel(grid!, uid, p, { ...range, vars: values }, gen);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  if (gen === generation) document.body.dataset.loaded = uid;
}

async function loadPanel(grid: HTMLElement, uid: string, p: Panel, b: { from: string; to: string; vars: Record<string, string | string[]> }, gen: number): Promise<void> {
  const box = grid.querySelector<HTMLElement>(`[data-panel-id="${p.id}"]`);
  if (!box) return;
  const body = box.querySelector<HTMLElement>('.panel-body')!;
  const info = box.querySelector<HTMLElement>('.panel-info')!;
  box.classList.add('busy');
  try {
    const width = Math.max(100, Math.round(body.clientWidth || 600));
    const res = await api.panel(uid, p.id, { ...b, maxDataPoints: width });
    if (gen !== generation) return;
    renderPanel(body, p, res.frames, { traceHref: (id) => `#/trace/${id}`, range: res.range });
    const ms = res.frames.reduce((a, f) => a + f.elapsedMs, 0);
    info.textContent = res.frames.some((f) => f.truncated) ? `${ms} ms · rows cut at the query API limit` : `${ms} ms`;
    info.title = res.frames.map((f) => `${f.refId}: ${f.rows} rows, ${f.elapsedMs} ms\n${f.sql}`).join('\n\n');
  } catch (e) {
    body.replaceChildren(h('div', { className: 'panel-error', textContent: (e as Error).message }));
    body.dataset.state = 'error';
  } finally {
    box.classList.remove('busy');
  }
}

// --- views ------------------------------------------------------------------------

async function render(refreshOnly = false): Promise<void> {
  const r = route();
  state.from = r.params.get('from') ?? (r.view === 'traces' ? 'now-1h' : 'now-6h');
  state.to = r.params.get('to') ?? 'now';
  state.refresh = r.params.get('refresh') ?? (r.view === 'dashboard' ? '30s' : 'off');
  const gen = ++generation;
  if (!refreshOnly) delete document.body.dataset.loaded;
  topBar(r);
  const root = $('#main');
  if (timer) clearInterval(timer);
  const every = parseInterval(state.refresh);
  if (every > 0 && r.view !== 'trace') timer = setInterval(() => void render(true), every);
  document.body.dataset.view = r.view;
  if (r.view === 'dashboard') {
    document.title = `${summaries.find((d) => d.uid === r.id)?.title ?? r.id} · isotel`;
    await renderDashboard(root, r, gen, refreshOnly);
  } else if (r.view === 'traces') {
    document.title = 'Traces · isotel';
    delete root.dataset.uid;
    let functions: string[] = [];
    try {
      functions = (await api.variables('isotel-function-detail', { from: state.from, to: state.to, vars: {} })).variables.find((v) => v.name === 'function')?.options ?? [];
    } catch {
      /* the list still works without the function picker's options */
    }
    await renderTraceList(
      root,
      { from: state.from, to: state.to, function: r.params.get('function') ?? '', minMs: r.params.get('minMs') ?? '', errors: r.params.get('errors') === 'true', sort: (r.params.get('sort') as 'slowest' | 'recent') ?? 'slowest' },
      functions,
      (q) => {
        const p = new URLSearchParams({ from: q.from, to: q.to, sort: q.sort });
        if (q.function) p.set('function', q.function);
        if (q.minMs) p.set('minMs', q.minMs);
        if (q.errors) p.set('errors', 'true');
        if (state.refresh !== 'off') p.set('refresh', state.refresh);
        go('/traces', p);
      },
    );
    if (gen === generation) document.body.dataset.loaded = 'traces';
  } else {
    document.title = `Trace ${r.id} · isotel`;
    delete root.dataset.uid;
    await renderTrace(root, r.id);
    if (gen === generation) document.body.dataset.loaded = `trace:${r.id}`;
  }
}

async function start(): Promise<void> {
  wireTopBar();
  try {
    const list = await api.dashboards();
    summaries = list.dashboards;
    // A broken dashboard file is shown, not fatal: the others still load.
    if (list.errors.length) document.body.prepend(h('div', { className: 'banner' }, ...list.errors.map((e) => h('div', { textContent: `${e.code}: ${e.message}` }))));
  } catch (e) {
    $('#main').replaceChildren(h('div', { className: 'panel-error', textContent: `Cannot reach the viewer API: ${(e as Error).message}` }));
    return;
  }
  window.addEventListener('hashchange', () => void render());
  await render();
}

void start();
