/**
 * The durable queue, which is also the insert: rows are appended as RowBinary
 * segment files that the engine reads directly (`INSERT … SELECT FROM file(…)`), or
 * that are streamed to a server as `FORMAT RowBinary`. One write, no re-encoding.
 *
 *   append ──▶ pending (memory, bounded) ──group commit──▶ <table>/<seq>.rb (written, renamed)
 *        ◀── resolved only after the write: acknowledged data survives kill -9
 *            (and power loss with ISOTEL_COLLECTOR_QUEUE_FSYNC, which fsyncs first)
 *   inserter ──▶ batch manifest ──▶ INSERT with a dedup token ──▶ unlink
 *
 * A batch's segment list and token are fixed in its manifest before the insert, so a
 * crash between insert and unlink replays the same token and ClickHouse drops the
 * duplicate (insert deduplication, also on the materialized views' tables):
 * every acknowledged row is inserted exactly once.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { open, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IsotelError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { MappedRequest } from '../rows/batch.js';
import { isTableName, TABLES, type TableName } from '../rows/tables.js';

export interface QueueOptions {
  dir: string;
  /** fsync segments, manifests and their directories (power-loss durability); off: a crash or kill -9 of the process loses nothing written. */
  fsync: boolean;
  commitDelayMs: number;
  batchRows: number;
  batchDelayMs: number;
  maxPendingBytes: number;
  maxQueueBytes: number;
  insertRetryMaxMs: number;
}

export interface SegmentSink {
  insertSegments(table: TableName, files: readonly string[], token: string): Promise<void>;
}

interface Segment {
  seq: number;
  file: string;
  rows: number;
  bytes: number;
  /** When its rows were acknowledged (ms since epoch). */
  at: number;
}

interface Manifest {
  table: TableName;
  token: string;
  files: string[];
  rows: number;
}

export interface QueueStats {
  committedRows: Record<string, number>;
  insertedRows: Record<string, number>;
  insertedBatches: number;
  insertFailures: number;
  deadRows: number;
  refusedRequests: number;
  queuedBytes: number;
  queuedRows: number;
  pendingBytes: number;
  oldestAgeMs: number;
  lastInsertMs: number;
  insertMsTotal: number;
  commits: number;
  /** Row end-to-end: acknowledged → inserted, ms (recent samples, for the p99). */
  lagSamples: number[];
}

const NAME_WIDTH = 16;
const MAX_FILES_PER_INSERT = 400;
const COMMIT_NOW_BYTES = 4 * 1024 * 1024;
const MAX_DATA_ATTEMPTS = 5;

const segName = (seq: number) => `${String(seq).padStart(NAME_WIDTH, '0')}.rb`;

export class DurableQueue {
  private readonly epoch = randomUUID().slice(0, 8);
  private seq = 0;
  private pending = new Map<TableName, { bufs: Buffer[]; rows: number; bytes: number }>();
  private pendingBytes = 0;
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private commitTimer: NodeJS.Timeout | undefined;
  private committing: Promise<void> | undefined;
  private recommit = false;
  private readonly ready = new Map<TableName, Segment[]>();
  private readonly manifests: { path: string; m: Manifest }[] = [];
  private queuedBytes = 0;
  private closing = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  readonly stats: QueueStats;

  constructor(
    private readonly o: QueueOptions,
    private readonly sink: SegmentSink,
    private readonly log: Logger,
  ) {
    this.stats = {
      committedRows: {},
      insertedRows: {},
      insertedBatches: 0,
      insertFailures: 0,
      deadRows: 0,
      refusedRequests: 0,
      queuedBytes: 0,
      queuedRows: 0,
      pendingBytes: 0,
      oldestAgeMs: 0,
      lastInsertMs: 0,
      insertMsTotal: 0,
      commits: 0,
      lagSamples: [],
    };
  }

  private tableDir(t: TableName): string {
    return join(this.o.dir, t);
  }

  /** Recovers what a previous process left: committed segments and batch manifests. */
  open(): void {
    mkdirSync(this.o.dir, { recursive: true });
    mkdirSync(join(this.o.dir, 'dead'), { recursive: true });
    const inManifest = new Set<string>();
    for (const f of readdirSync(this.o.dir)) {
      const path = join(this.o.dir, f);
      if (f.endsWith('.tmp')) rmSync(path, { force: true });
      else if (/^batch-.*\.json$/.test(f)) {
        const m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
        const files = m.files.filter((x) => {
          try {
            statSync(x);
            return true;
          } catch {
            return false;
          }
        });
        if (files.length === 0 || !isTableName(m.table)) {
          rmSync(path, { force: true });
          continue;
        }
        // Some files of a replayed batch may already be unlinked: the insert succeeded.
        if (files.length !== m.files.length) {
          rmSync(path, { force: true });
          for (const x of files) rmSync(x, { force: true });
          continue;
        }
        for (const x of files) {
          inManifest.add(x);
          this.queuedBytes += statSync(x).size;
        }
        this.manifests.push({ path, m });
      }
    }
    for (const t of TABLES) {
      const dir = this.tableDir(t);
      mkdirSync(dir, { recursive: true });
      const segs: Segment[] = [];
      for (const f of readdirSync(dir)) {
        const path = join(dir, f);
        if (f.endsWith('.tmp')) {
          rmSync(path, { force: true });
          continue;
        }
        const m = /^(\d+)\.rb$/.exec(f);
        if (!m) continue;
        const seq = Number(m[1]);
        this.seq = Math.max(this.seq, seq);
        if (inManifest.has(path)) continue;
        const st = statSync(path);
        // Row counts of recovered segments are unknown; count bytes instead (batches
        // are bounded by files per insert then).
        segs.push({ seq, file: path, rows: 0, bytes: st.size, at: st.mtimeMs });
        this.queuedBytes += st.size;
      }
      segs.sort((a, b) => a.seq - b.seq);
      this.ready.set(t, segs);
    }
    const recovered = this.manifests.length + [...this.ready.values()].reduce((n, s) => n + s.length, 0);
    if (recovered > 0) this.log.info('recovered durable queue', { segments: recovered, batches: this.manifests.length, bytes: this.queuedBytes });
    this.loop = this.run();
  }

  /** Free room, in bytes, before requests are refused. */
  private overCapacity(bytes: number): boolean {
    return this.pendingBytes + bytes > this.o.maxPendingBytes || this.queuedBytes + this.pendingBytes + bytes > this.o.maxQueueBytes;
  }

  /**
   * Queues one request's rows; resolves once they are durable (the moment to
   * acknowledge the sender). Refuses with 429 when the queue is over its bounds.
   */
  append(mapped: MappedRequest): Promise<void> {
    if (this.closing) return Promise.reject(new IsotelError('ISOTEL_ERR_COLLECTOR_CLOSING', 'the collector is shutting down'));
    let bytes = 0;
    for (const t of mapped.tables.values()) bytes += t.bytes.length;
    if (bytes === 0) return Promise.resolve();
    if (this.overCapacity(bytes)) {
      this.stats.refusedRequests++;
      return Promise.reject(
        new IsotelError('ISOTEL_ERR_OTLP_OVER_CAPACITY', `queue full: ${this.queuedBytes} bytes queued, ${this.pendingBytes} pending (limits ${this.o.maxQueueBytes}, ${this.o.maxPendingBytes})`, {
          details: { retryAfterSeconds: this.retryAfterSeconds() },
        }),
      );
    }
    for (const [t, rows] of mapped.tables) {
      let p = this.pending.get(t);
      if (!p) this.pending.set(t, (p = { bufs: [], rows: 0, bytes: 0 }));
      p.bufs.push(rows.bytes);
      p.rows += rows.rows;
      p.bytes += rows.bytes.length;
    }
    this.pendingBytes += bytes;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.scheduleCommit();
    return done;
  }

  retryAfterSeconds(): number {
    return this.stats.insertFailures > 0 ? 5 : 1;
  }

  private scheduleCommit(): void {
    if (this.committing) {
      this.recommit = true;
      return;
    }
    if (this.pendingBytes >= COMMIT_NOW_BYTES || this.o.commitDelayMs === 0) {
      clearTimeout(this.commitTimer);
      this.commitTimer = undefined;
      this.committing = this.commit();
    } else if (!this.commitTimer) {
      this.commitTimer = setTimeout(() => {
        this.commitTimer = undefined;
        if (!this.committing) this.committing = this.commit();
      }, this.o.commitDelayMs);
    }
  }

  private async commit(): Promise<void> {
    const pending = this.pending;
    const waiters = this.waiters;
    const bytes = this.pendingBytes;
    this.pending = new Map();
    this.waiters = [];
    const written: { t: TableName; seg: Segment }[] = [];
    try {
      const now = Date.now();
      await Promise.all(
        [...pending].map(async ([t, p]) => {
          const seq = ++this.seq;
          const file = join(this.tableDir(t), segName(seq));
          const tmp = `${file}.tmp`;
          const fh = await open(tmp, 'w');
          try {
            await fh.writev(p.bufs);
            if (this.o.fsync) await fh.datasync();
          } finally {
            await fh.close();
          }
          await rename(tmp, file);
          written.push({ t, seg: { seq, file, rows: p.rows, bytes: p.bytes, at: now } });
        }),
      );
      // Written (and renamed) data is the kernel's once the calls return: it survives a
      // crash or kill -9 of this process. Power loss needs the fsyncs (opt-in).
      if (this.o.fsync) await Promise.all(written.map(({ t }) => syncDir(this.tableDir(t))));
      for (const { t, seg } of written.sort((a, b) => a.seg.seq - b.seg.seq)) {
        this.ready.get(t)!.push(seg);
        this.queuedBytes += seg.bytes;
        this.stats.committedRows[t] = (this.stats.committedRows[t] ?? 0) + seg.rows;
      }
      this.stats.commits++;
      this.pendingBytes -= bytes;
      for (const w of waiters) w.resolve();
      this.wake?.();
    } catch (e) {
      this.pendingBytes -= bytes;
      for (const { seg } of written) rmSync(seg.file, { force: true });
      this.log.error('durable queue write failed; requests refused', { error: e as Error });
      const err = new IsotelError('ISOTEL_ERR_QUEUE_IO', `writing the durable queue failed: ${(e as Error).message}`, { cause: e });
      for (const w of waiters) w.reject(err);
    } finally {
      this.committing = undefined;
      if (this.recommit || this.pending.size > 0) {
        this.recommit = false;
        if (this.pending.size > 0) this.scheduleCommit();
      }
    }
  }

  /** The table whose batch is due now, or the time (ms) until one is. */
  private due(now: number): { table?: TableName; waitMs: number } {
    let wait = Infinity;
    for (const [t, segs] of this.ready) {
      if (segs.length === 0) continue;
      const rows = segs.reduce((n, s) => n + s.rows, 0);
      const oldest = segs[0]!.at;
      // Recovered segments (rows unknown) and a closing queue go at once.
      if (this.closing || rows >= this.o.batchRows || segs.length >= MAX_FILES_PER_INSERT || segs[0]!.rows === 0) return { table: t, waitMs: 0 };
      const w = oldest + this.o.batchDelayMs - now;
      if (w <= 0) return { table: t, waitMs: 0 };
      wait = Math.min(wait, w);
    }
    return { waitMs: wait };
  }

  private async run(): Promise<void> {
    // Batches left by a previous process first, with their original tokens.
    for (const { path, m } of this.manifests.splice(0)) {
      if (this.stopped) return;
      await this.insertBatch(path, m, Date.now());
    }
    while (!this.stopped) {
      const { table, waitMs } = this.due(Date.now());
      if (!table) {
        if (this.closing && !this.committing && this.pending.size === 0) return;
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          // A finite wait means rows are queued: keep the process alive until they are inserted.
          if (Number.isFinite(waitMs)) timer = setTimeout(resolve, waitMs);
        });
        clearTimeout(timer); // woken early: do not leave the timer holding the process
        this.wake = undefined;
        continue;
      }
      const segs = this.ready.get(table)!;
      const take: Segment[] = [];
      let rows = 0;
      while (segs.length > 0 && take.length < MAX_FILES_PER_INSERT && (take.length === 0 || rows + segs[0]!.rows <= this.o.batchRows)) {
        const s = segs.shift()!;
        take.push(s);
        rows += s.rows;
      }
      const m: Manifest = { table, token: `${table}:${this.epoch}:${take[0]!.seq}-${take[take.length - 1]!.seq}`, files: take.map((s) => s.file), rows };
      const path = join(this.o.dir, `batch-${table}-${this.epoch}-${take[0]!.seq}.json`);
      try {
        await writeFile(`${path}.tmp`, JSON.stringify(m));
        if (this.o.fsync) {
          const fh = await open(`${path}.tmp`, 'r');
          await fh.datasync();
          await fh.close();
        }
        await rename(`${path}.tmp`, path);
        if (this.o.fsync) await syncDir(this.o.dir);
      } catch (e) {
        this.log.error('writing a batch manifest failed; retrying', { error: e as Error });
        segs.unshift(...take);
        await sleep(1000);
        continue;
      }
      await this.insertBatch(path, m, Math.min(...take.map((s) => s.at)));
    }
  }

  /** Inserts one batch, retrying with backoff until ClickHouse takes it. */
  private async insertBatch(path: string, m: Manifest, oldestAt: number): Promise<void> {
    let delay = 100;
    let dataErrors = 0;
    let attempts = 0;
    for (;;) {
      const started = performance.now();
      try {
        await this.sink.insertSegments(m.table, m.files, m.token);
        const ms = performance.now() - started;
        this.stats.lastInsertMs = ms;
        this.stats.insertMsTotal += ms;
        this.stats.insertedBatches++;
        this.stats.insertedRows[m.table] = (this.stats.insertedRows[m.table] ?? 0) + m.rows;
        if (attempts > 0) this.log.info('insert succeeded after retries', { table: m.table, attempts });
        const lag = Date.now() - oldestAt;
        this.stats.lagSamples.push(lag);
        if (this.stats.lagSamples.length > 1024) this.stats.lagSamples.splice(0, 512);
        break;
      } catch (e) {
        this.stats.insertFailures++;
        const unavailable = (e as { unavailable?: boolean }).unavailable ?? isConnectionError(e);
        if (!unavailable && ++dataErrors >= MAX_DATA_ATTEMPTS) {
          // ClickHouse refuses these bytes for good: keep them for inspection, loudly.
          this.log.error('ClickHouse refused a queue batch repeatedly; moved to the dead-letter directory', { table: m.table, files: m.files.length, error: e as Error });
          for (const f of m.files) await rename(f, join(this.o.dir, 'dead', `${m.table}-${f.slice(f.lastIndexOf('/') + 1)}`)).catch(() => {});
          this.stats.deadRows += m.rows;
          break;
        }
        if (this.stopped) return;
        // Bounded logging: the first failure of a batch, then every 20th attempt.
        if (++attempts === 1 || attempts % 20 === 0) this.log.warn('insert failed; retrying until ClickHouse takes it', { table: m.table, attempts, inMs: delay, error: e as Error });
        await sleep(delay);
        if (this.stopped) return;
        delay = Math.min(delay * 2, this.o.insertRetryMaxMs);
      }
    }
    let freed = 0;
    for (const f of m.files) {
      try {
        freed += statSync(f).size;
      } catch {
        /* moved to dead/ */
      }
      await unlink(f).catch(() => {});
    }
    await unlink(path).catch(() => {});
    this.queuedBytes -= freed;
  }

  /** Snapshot of gauges for self-telemetry. */
  gauges(): QueueStats {
    const now = Date.now();
    let oldest = now;
    let rows = 0;
    for (const segs of this.ready.values()) {
      if (segs.length > 0) oldest = Math.min(oldest, segs[0]!.at);
      for (const s of segs) rows += s.rows;
    }
    this.stats.queuedBytes = this.queuedBytes;
    this.stats.queuedRows = rows;
    this.stats.pendingBytes = this.pendingBytes;
    this.stats.oldestAgeMs = now - oldest;
    return this.stats;
  }

  /**
   * Stops taking rows, commits what is pending, and inserts everything queued.
   * Gives up inserting after `deadlineMs` (ClickHouse down): the rows stay on disk
   * and are inserted by the next start.
   */
  async close(deadlineMs = 30_000): Promise<void> {
    if (this.closing) return this.loop;
    this.closing = true;
    clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    while (this.committing || this.pending.size > 0) {
      if (!this.committing) this.committing = this.commit();
      await this.committing;
    }
    this.wake?.();
    const timer = setTimeout(() => {
      this.stopped = true;
      this.wake?.();
    }, deadlineMs);
    timer.unref();
    await this.loop;
    clearTimeout(timer);
    this.stopped = true;
  }

  /** Ends the insert loop at once (tests simulate a crash with this). */
  destroy(): void {
    this.stopped = true;
    this.closing = true;
    this.wake?.();
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function isConnectionError(e: unknown): boolean {
  const msg = String((e as Error)?.message ?? '');
  const code = String((e as { code?: unknown })?.code ?? '');
  return /^E[A-Z]+$/.test(code) || /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up|Timeout|other side closed|fetch failed/i.test(msg);
}
