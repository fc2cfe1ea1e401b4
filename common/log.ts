/**
 * A small structured logger for isotel's own processes: one line per event on
 * stderr, `level area message key=value…`. Disabled levels are no-op functions,
 * decided once when the logger is made, not checked per call.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogFn = (message: string, fields?: Record<string, unknown>) => void;
export interface Logger {
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
  child(area: string): Logger;
}

const noop: LogFn = () => {};

function format(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === 'string') return /[\s="]/.test(value) || value === '' ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
}

export function createLogger(area: string, level: LogLevel = (process.env.ISOTEL_LOG_LEVEL as LogLevel | undefined) ?? 'info', write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const threshold = ORDER[level] ?? ORDER.info;
  const make = (name: Exclude<LogLevel, 'silent'>): LogFn => {
    if (ORDER[name] < threshold) return noop;
    return (message, fields) => {
      let line = `${new Date().toISOString()} ${name.padEnd(5)} [${area}] ${message}`;
      if (fields) for (const [k, v] of Object.entries(fields)) if (v !== undefined) line += ` ${k}=${format(v)}`;
      write(line + '\n');
    };
  };
  return {
    debug: make('debug'),
    info: make('info'),
    warn: make('warn'),
    error: make('error'),
    child: (sub) => createLogger(`${area}:${sub}`, level, write),
  };
}
