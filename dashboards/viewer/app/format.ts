/** Value formatting by Grafana unit id (the subset the dashboards use). */

const SI = ['', 'K', 'M', 'B', 'T'];

function trim(n: number, decimals?: number): string {
  if (decimals !== undefined) return n.toFixed(decimals);
  const a = Math.abs(n);
  const d = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return String(Number(n.toFixed(d)));
}

export function formatValue(v: unknown, unit?: string, decimals?: number): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'string' || typeof v === 'boolean') return String(v);
  const n = Number(v);
  if (!Number.isFinite(n)) return Number.isNaN(n) ? '–' : String(n);
  switch (unit) {
    case 'ms':
      if (Math.abs(n) >= 60_000) return `${trim(n / 60_000, decimals)} min`;
      if (Math.abs(n) >= 1000) return `${trim(n / 1000, decimals)} s`;
      if (Math.abs(n) < 1 && n !== 0) return `${trim(n * 1000, decimals === undefined ? undefined : Math.max(0, decimals - 1))} µs`;
      return `${trim(n, decimals)} ms`;
    case 'ns':
      return formatValue(n / 1e6, 'ms', decimals);
    case 'bytes': {
      const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
      let i = 0;
      let x = n;
      while (Math.abs(x) >= 1024 && i < units.length - 1) {
        x /= 1024;
        i++;
      }
      return `${trim(x, decimals)} ${units[i]}`;
    }
    case 'percentunit':
      return `${trim(n * 100, decimals)}%`;
    case 'percent':
      return `${trim(n, decimals)}%`;
    case 'dateTimeAsIso':
      return formatTime(n);
    case 'short':
    case 'none':
    case undefined:
    default: {
      if (unit === 'none') return trim(n, decimals);
      let i = 0;
      let x = n;
      while (Math.abs(x) >= 1000 && i < SI.length - 1) {
        x /= 1000;
        i++;
      }
      return i === 0 ? trim(x, decimals) : `${trim(x, Math.min(decimals ?? 1, 2))}${SI[i]}`;
    }
  }
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Local time, ISO-like: 2026-11-26 12:04:05. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Local time with milliseconds, for log lines and spans. */
export function formatTimeMs(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function formatDurationNs(ns: number): string {
  return formatValue(ns / 1e6, 'ms');
}

/** Epoch ms from a nanosecond string (precise enough for display). */
export function nsToMs(ns: string | number): number {
  return typeof ns === 'number' ? ns / 1e6 : Number(BigInt(ns) / 1000n) / 1000;
}
