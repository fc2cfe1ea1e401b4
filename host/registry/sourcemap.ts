/**
 * Maps positions in the code an isolate ran back to the author's sources (the
 * deploy keeps esbuild's source map per version), so exception stack traces and
 * error locations name the lines the author wrote — TypeScript included.
 */
import { SourceMapConsumer } from 'source-map-js';
import { IsotelError } from '../../common/errors.js';

export class SourceMapper {
  readonly #filename: string;
  readonly #consumer: SourceMapConsumer;

  constructor(filename: string, sourceMap: string) {
    this.#filename = filename;
    this.#consumer = new SourceMapConsumer(JSON.parse(sourceMap));
  }

  /** 1-based line and column in the compiled code → the original position, if the map has one. */
  position(line: number, column: number): { file: string; line: number; column: number } | undefined {
    const p = this.#consumer.originalPositionFor({ line, column: Math.max(0, column - 1) });
    return p.source && p.line ? { file: p.source, line: p.line, column: (p.column ?? 0) + 1 } : undefined;
  }

  /** Rewrites every `<filename>:line:column` in a stack trace or message. */
  text(text: string): string {
    const esc = this.#filename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return text.replace(new RegExp(`${esc}:(\\d+):(\\d+)`, 'g'), (whole, l: string, c: string) => {
      const p = this.position(Number(l), Number(c));
      return p ? `${p.file}:${p.line}:${p.column}` : whole;
    });
  }

  /** The same error with its location, message and stack pointing at the author's sources. */
  error(e: IsotelError): IsotelError {
    const d = (e.details ?? {}) as Record<string, unknown>;
    const details: Record<string, unknown> = { ...d };
    if (d.file === this.#filename && typeof d.line === 'number') {
      const p = this.position(d.line, typeof d.column === 'number' ? d.column : 1);
      if (p) Object.assign(details, p);
    }
    if (typeof d.stack === 'string') details.stack = this.text(d.stack);
    const message = this.text(e.message);
    if (message === e.message && details.file === d.file && details.line === d.line && details.stack === d.stack) return e;
    return new IsotelError(e.code, message, { details });
  }
}
