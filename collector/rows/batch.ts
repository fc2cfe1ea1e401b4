/** What a row mapper hands to the queue: encoded rows per table, plus the OTLP counts. */
import { RowBinaryWriter } from './rowbinary.js';
import type { TableName } from './tables.js';

export interface TableRows {
  readonly bytes: Buffer;
  readonly rows: number;
}

export interface MappedRequest {
  readonly tables: ReadonlyMap<TableName, TableRows>;
  /** Items (spans, log records, data points) written. */
  readonly accepted: number;
  /** Items refused, reported as partial_success. */
  readonly rejected: number;
  /** Why items were refused ('' when none were). */
  readonly message: string;
}

/** One writer per table touched by one request. */
export class BatchBuilder {
  private readonly writers = new Map<TableName, { w: RowBinaryWriter; rows: number }>();
  accepted = 0;
  rejected = 0;
  private reasons = new Map<string, number>();

  constructor(private readonly sizeHint: number) {}

  writer(table: TableName): RowBinaryWriter {
    let e = this.writers.get(table);
    if (!e) {
      e = { w: new RowBinaryWriter(this.sizeHint), rows: 0 };
      this.writers.set(table, e);
    }
    return e.w;
  }

  row(table: TableName): void {
    this.writers.get(table)!.rows++;
    this.accepted++;
  }

  reject(reason: string): void {
    this.rejected++;
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
  }

  finish(): MappedRequest {
    const tables = new Map<TableName, TableRows>();
    for (const [t, { w, rows }] of this.writers) if (rows > 0) tables.set(t, { bytes: w.buf.subarray(0, w.pos), rows });
    const message = [...this.reasons].map(([r, n]) => `${n} ${r}`).join('; ');
    return { tables, accepted: this.accepted, rejected: this.rejected, message };
  }
}
