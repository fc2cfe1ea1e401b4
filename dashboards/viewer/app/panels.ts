/**
 * Draws one Grafana panel from its query frames: time series, bar chart (ECharts),
 * stat, table and logs (DOM). Field config is read the way Grafana reads it: defaults
 * (unit, decimals, custom.drawStyle/stacking/fillOpacity) with per-field overrides
 * (byName / byRegexp). A panel whose queries return nothing says "No data".
 */
import * as echarts from 'echarts';
import type { Field, Frame, Panel } from './api.js';
import { formatTime, formatValue } from './format.js';

export const PALETTE = ['#73BF69', '#F2CC0C', '#8AB8FF', '#FF780A', '#F2495C', '#5794F2', '#B877D9', '#FF9830', '#37872D', '#FADE2A', '#96D98D', '#CA95E5'];
const NAMED: Record<string, string> = { green: '#73BF69', orange: '#FF9830', red: '#F2495C', yellow: '#FADE2A', blue: '#5794F2', purple: '#B877D9', text: '#D8D9DA' };
const AXIS = { axisLine: { lineStyle: { color: '#3a3f47' } }, axisLabel: { color: '#9fa7b3', fontSize: 11 }, splitLine: { lineStyle: { color: '#23272e' } } };

export interface PanelContext {
  /** Open a trace (table/log cells holding a trace id link here). */
  traceHref(traceId: string): string;
  /** The queried range (epoch ms): time axes span it, as in Grafana. */
  range?: { from: number; to: number };
}

interface FieldStyle {
  unit?: string;
  decimals?: number;
  custom: Record<string, unknown>;
}

/** Effective config of one field: defaults, then matching overrides (Grafana order). */
export function fieldStyle(panel: Panel, name: string): FieldStyle {
  const d = panel.fieldConfig?.defaults ?? {};
  const s: FieldStyle = { custom: { ...(d.custom ?? {}) }, ...(d.unit ? { unit: d.unit } : {}), ...(d.decimals !== undefined ? { decimals: d.decimals } : {}) };
  for (const o of panel.fieldConfig?.overrides ?? []) {
    const m = o.matcher;
    const hit = m.id === 'byName' ? m.options === name : m.id === 'byRegexp' ? new RegExp(`^(?:${m.options})$`).test(name) : false;
    if (!hit) continue;
    for (const p of o.properties) {
      if (p.id === 'unit') s.unit = String(p.value);
      else if (p.id === 'decimals') s.decimals = Number(p.value);
      else if (p.id.startsWith('custom.')) s.custom[p.id.slice(7)] = p.value;
    }
  }
  return s;
}

function noData(el: HTMLElement, text = 'No data'): void {
  el.replaceChildren(Object.assign(document.createElement('div'), { className: 'no-data', textContent: text }));
}

const charts = new WeakMap<HTMLElement, echarts.ECharts>();

function chartFor(el: HTMLElement): echarts.ECharts {
  let c = charts.get(el);
  if (!c || c.isDisposed()) {
    el.replaceChildren();
    c = echarts.init(el, undefined, { renderer: 'canvas' });
    charts.set(el, c);
    new ResizeObserver(() => c!.resize()).observe(el);
  }
  return c;
}

function disposeChart(el: HTMLElement): void {
  charts.get(el)?.dispose();
  charts.delete(el);
}

export function renderPanel(el: HTMLElement, panel: Panel, frames: Frame[], ctx: PanelContext): void {
  const failed = frames.filter((f) => f.error);
  if (failed.length > 0 && failed.length === frames.length) {
    disposeChart(el);
    const box = Object.assign(document.createElement('div'), { className: 'panel-error' });
    box.append(Object.assign(document.createElement('strong'), { textContent: failed[0]!.error!.code }), Object.assign(document.createElement('pre'), { textContent: failed[0]!.error!.message.slice(0, 600) }));
    el.replaceChildren(box);
    el.dataset.state = 'error';
    return;
  }
  const ok = frames.filter((f) => !f.error);
  let drawn = false;
  switch (panel.type) {
    case 'timeseries':
      drawn = drawTimeseries(el, panel, ok, ctx.range);
      break;
    case 'barchart':
      drawn = drawBarchart(el, panel, ok);
      break;
    case 'stat':
      disposeChart(el);
      drawn = drawStat(el, panel, ok);
      break;
    case 'table':
      disposeChart(el);
      drawn = drawTable(el, panel, ok, ctx);
      break;
    case 'logs':
      disposeChart(el);
      drawn = drawLogs(el, ok, ctx);
      break;
    default:
      disposeChart(el);
      noData(el, `Panel type "${panel.type}" is not supported by the built-in viewer`);
      el.dataset.state = 'unsupported';
      return;
  }
  if (!drawn) {
    disposeChart(el);
    noData(el);
  }
  el.dataset.state = drawn ? 'data' : 'nodata';
}

interface Series {
  name: string;
  field: string;
  points: [number, number | null][];
}

/** Wide frames (time, a, b) and long frames (time, label, value) alike → one series per line. */
export function toSeries(frames: Frame[]): Series[] {
  const out: Series[] = [];
  for (const f of frames) {
    const time = f.fields.find((x) => x.type === 'time');
    if (!time || f.rows === 0) continue;
    const labels = f.fields.filter((x) => x.type === 'string');
    const nums = f.fields.filter((x) => x.type === 'number');
    if (labels.length === 0) {
      for (const n of nums) out.push({ name: n.name, field: n.name, points: time.values.map((t, i) => [t as number, n.values[i] as number | null]) });
      continue;
    }
    const groups = new Map<string, Map<string, [number, number | null][]>>();
    for (let i = 0; i < f.rows; i++) {
      const key = labels.map((l) => String(l.values[i] ?? '')).join(' ');
      for (const n of nums) {
        const name = nums.length > 1 ? `${key} ${n.name}` : key;
        let byName = groups.get(n.name);
        if (!byName) groups.set(n.name, (byName = new Map()));
        let pts = byName.get(name);
        if (!pts) byName.set(name, (pts = []));
        pts.push([time.values[i] as number, n.values[i] as number | null]);
      }
    }
    for (const [field, byName] of groups) for (const [name, points] of byName) out.push({ name, field, points });
  }
  return out;
}

function hasValues(series: Series[]): boolean {
  return series.some((s) => s.points.some(([, v]) => v !== null && Number.isFinite(v)));
}

function drawTimeseries(el: HTMLElement, panel: Panel, frames: Frame[], range?: { from: number; to: number }): boolean {
  const series = toSeries(frames);
  if (!hasValues(series)) return false;
  const chart = chartFor(el);
  const units: string[] = [];
  const built = series.map((s, i) => {
    const st = fieldStyle(panel, s.field);
    const axis = st.custom.axisPlacement === 'right' ? 1 : 0;
    units[axis] ??= st.unit ?? '';
    const bars = st.custom.drawStyle === 'bars';
    const stack = (st.custom.stacking as { mode?: string } | undefined)?.mode === 'normal' ? 'A' : undefined;
    const color = PALETTE[i % PALETTE.length]!;
    // Many overlapping areas turn to mud: fill only when a few lines share the chart.
    const fill = !bars && series.length > 4 ? 0 : Number(st.custom.fillOpacity ?? (bars ? 80 : 10)) / 100;
    return {
      name: s.name,
      type: bars ? ('bar' as const) : ('line' as const),
      yAxisIndex: axis,
      data: s.points,
      // Sparse series (a few cold starts) would be invisible as lines: mark their points.
      showSymbol: s.points.filter(([, v]) => v !== null).length <= 20,
      symbolSize: 5,
      smooth: st.custom.lineInterpolation === 'smooth' ? 0.2 : false,
      ...(stack ? { stack } : {}),
      ...(bars ? { barMaxWidth: 18, itemStyle: { color, opacity: Math.max(0.5, fill) } } : { lineStyle: { width: Number(st.custom.lineWidth ?? 2), color }, itemStyle: { color }, areaStyle: fill > 0 ? { opacity: fill, color } : undefined }),
      emphasis: { focus: 'series' as const },
    };
  });
  const yAxis = [0, 1].filter((a) => a === 0 || units[1] !== undefined).map((a) => ({
    type: 'value' as const,
    position: a === 0 ? ('left' as const) : ('right' as const),
    min: 0,
    ...AXIS,
    splitLine: { show: a === 0, lineStyle: { color: '#23272e' } },
    axisLabel: { ...AXIS.axisLabel, formatter: (v: number) => formatValue(v, units[a] || undefined) },
  }));
  chart.setOption(
    {
      backgroundColor: 'transparent',
      animation: false,
      grid: { left: 8, right: 12, top: 10, bottom: series.length > 1 ? 34 : 8, containLabel: true },
      tooltip: {
        trigger: 'axis',
        backgroundColor: '#181b1f',
        borderColor: '#3a3f47',
        textStyle: { color: '#d8d9da', fontSize: 12 },
        valueFormatter: (v: unknown) => formatValue(v, units[0] || undefined),
      },
      legend: { show: series.length > 1, bottom: 0, type: 'scroll', textStyle: { color: '#9fa7b3', fontSize: 11 }, itemHeight: 8, itemWidth: 14, pageTextStyle: { color: '#9fa7b3' } },
      xAxis: { type: 'time', ...(range ? { min: range.from, max: range.to } : {}), ...AXIS, splitLine: { show: false }, axisLabel: { ...AXIS.axisLabel, hideOverlap: true } },
      yAxis,
      series: built,
    },
    true,
  );
  return true;
}

function drawBarchart(el: HTMLElement, panel: Panel, frames: Frame[]): boolean {
  const f = frames.find((x) => x.rows > 0);
  if (!f) return false;
  const xName = String(panel.options?.xField ?? f.fields.find((x) => x.type === 'string')?.name ?? '');
  const x = f.fields.find((c) => c.name === xName);
  const nums = f.fields.filter((c) => c.type === 'number');
  if (!x || nums.length === 0 || !nums.some((n) => n.values.some((v) => v !== null && Number.isFinite(v as number)))) return false;
  const horizontal = panel.options?.orientation === 'horizontal';
  const stack = panel.options?.stacking === 'normal' ? 'A' : undefined;
  const unit = fieldStyle(panel, nums[0]!.name).unit;
  const chart = chartFor(el);
  const cats = x.values.map((v) => String(v));
  const valueAxis = { type: 'value' as const, min: 0, ...AXIS, axisLabel: { ...AXIS.axisLabel, formatter: (v: number) => formatValue(v, unit) } };
  const catAxis = { type: 'category' as const, data: horizontal ? [...cats].reverse() : cats, ...AXIS, splitLine: { show: false }, axisLabel: { ...AXIS.axisLabel, interval: 0, rotate: horizontal ? 0 : Number(panel.options?.xTickLabelRotation ?? 0) === 0 ? 0 : 30, width: horizontal ? 110 : 90, overflow: 'truncate' as const } };
  chart.setOption(
    {
      backgroundColor: 'transparent',
      animation: false,
      grid: { left: 8, right: 14, top: 10, bottom: nums.length > 1 ? 30 : 8, containLabel: true },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, backgroundColor: '#181b1f', borderColor: '#3a3f47', textStyle: { color: '#d8d9da', fontSize: 12 }, valueFormatter: (v: unknown) => formatValue(v, unit) },
      legend: { show: nums.length > 1, bottom: 0, textStyle: { color: '#9fa7b3', fontSize: 11 }, itemHeight: 8, itemWidth: 14 },
      xAxis: horizontal ? valueAxis : catAxis,
      yAxis: horizontal ? catAxis : valueAxis,
      series: nums.map((n, i) => ({
        name: n.name,
        type: 'bar' as const,
        data: horizontal ? [...n.values].reverse() : n.values,
        barMaxWidth: 28,
        ...(stack ? { stack } : {}),
        itemStyle: { color: PALETTE[i % PALETTE.length], borderRadius: stack ? 0 : 2 },
      })),
    },
    true,
  );
  return true;
}

function drawStat(el: HTMLElement, panel: Panel, frames: Frame[]): boolean {
  const f = frames.find((x) => x.rows > 0);
  const field = f?.fields.find((x) => x.type === 'number');
  const values = (field?.values ?? []).filter((v) => v !== null && Number.isFinite(v as number)) as number[];
  if (!field || values.length === 0) return false;
  const v = values[values.length - 1]!;
  const st = fieldStyle(panel, field.name);
  const steps = panel.fieldConfig?.defaults?.thresholds?.steps ?? [];
  let color = '#73BF69';
  for (const s of steps) if (s.value === null || v >= s.value) color = NAMED[s.color] ?? s.color;
  const box = Object.assign(document.createElement('div'), { className: 'stat' });
  const value = Object.assign(document.createElement('div'), { className: 'stat-value', textContent: formatValue(v, st.unit, st.decimals) });
  value.style.color = color;
  box.append(value);
  el.replaceChildren(box);
  return true;
}

function cellText(field: Field, v: unknown, panel: Panel): string {
  if (field.type === 'time') return v === null ? '–' : formatTime(v as number);
  const st = fieldStyle(panel, field.name);
  if (field.type === 'number') return formatValue(v, st.unit, st.decimals);
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v ?? '');
}

const TRACE_COLUMNS = /^(trace_?id|traceID)$/i;

function drawTable(el: HTMLElement, panel: Panel, frames: Frame[], ctx: PanelContext): boolean {
  const f = frames.find((x) => x.rows > 0);
  if (!f) return false;
  const wrap = Object.assign(document.createElement('div'), { className: 'table-wrap' });
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  for (const field of f.fields) {
    const th = document.createElement('th');
    th.textContent = field.name;
    if (field.type === 'number') th.className = 'num';
    head.append(th);
  }
  const body = table.createTBody();
  for (let i = 0; i < f.rows; i++) {
    const tr = body.insertRow();
    for (const field of f.fields) {
      const td = tr.insertCell();
      const v = field.values[i];
      if (TRACE_COLUMNS.test(field.name) && typeof v === 'string' && v) {
        const a = Object.assign(document.createElement('a'), { href: ctx.traceHref(v), textContent: v.slice(0, 16) + '…', title: `Open trace ${v}` });
        a.className = 'trace-link';
        td.append(a);
      } else {
        td.textContent = cellText(field, v, panel);
        if (field.type === 'number') td.className = 'num';
        if (field.name === 'status' && v === 'Error') td.className = 'bad';
        if (field.name === 'start' && v === 'cold') td.className = 'cold';
      }
    }
  }
  wrap.append(table);
  el.replaceChildren(wrap);
  return true;
}

function drawLogs(el: HTMLElement, frames: Frame[], ctx: PanelContext): boolean {
  const f = frames.find((x) => x.rows > 0);
  if (!f) return false;
  const col = (n: string): Field | undefined => f.fields.find((x) => x.name === n);
  const time = f.fields.find((x) => x.type === 'time')!;
  const level = col('level');
  const body = col('body');
  const trace = f.fields.find((x) => TRACE_COLUMNS.test(x.name));
  const list = Object.assign(document.createElement('div'), { className: 'logs' });
  for (let i = 0; i < f.rows; i++) {
    const row = Object.assign(document.createElement('div'), { className: 'log-row' });
    const lv = String(level?.values[i] ?? '');
    row.append(
      Object.assign(document.createElement('span'), { className: 'log-time', textContent: formatTime(time.values[i] as number) }),
      Object.assign(document.createElement('span'), { className: `log-level lvl-${lv.toLowerCase()}`, textContent: lv || '—' }),
      Object.assign(document.createElement('span'), { className: 'log-body', textContent: String(body?.values[i] ?? '') }),
    );
    const id = trace?.values[i];
    if (typeof id === 'string' && id) row.append(Object.assign(document.createElement('a'), { className: 'trace-link', href: ctx.traceHref(id), textContent: 'trace' }));
    list.append(row);
  }
  el.replaceChildren(list);
  return true;
}
