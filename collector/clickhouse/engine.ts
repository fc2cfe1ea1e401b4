/**
 * The only place that opens a ClickHouse client. Two targets, one code path
 * (@clickhouse/client): the embedded engine (chDB via `chdb/connection`, data under
 * <dataDir>/clickhouse) or a server at ISOTEL_CLICKHOUSE_URL.
 *
 * Two connections: one for ingest, one for reads. On the embedded engine each
 * connection is its own session, so a slow dashboard query does not hold up inserts,
 * and no read-only setting can leak into the ingest session (chDB keeps SET for the
 * session: per-query settings are therefore always written as SETTINGS clauses).
 */
import { createReadStream } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { IsotelError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { insertColumns, rowBinaryStructure, type TableName } from '../rows/tables.js';
import { migrate } from './migrate.js';

export interface EngineOptions {
  dataDir: string;
  clickhouseUrl: string;
  clickhouseUser: string;
  clickhousePassword: string;
  clickhouseDatabase: string;
  ttlDays: number;
  /** Build skip indexes during inserts (true) or leave them to merges (false). */
  indexOnInsert?: boolean;
}

export interface QueryResult {
  meta: { name: string; type: string }[];
  data: unknown[];
  rows: number;
  truncated: boolean;
  elapsedMs: number;
}

const GLOB = /[*?{}[\]'\\]/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** ClickHouse error code from a client error (`Code: 159. DB::Exception…` or `.code`). */
export function clickhouseCode(e: unknown): number | undefined {
  const c = (e as { code?: unknown })?.code;
  if (typeof c === 'string' && /^\d+$/.test(c)) return Number(c);
  if (typeof c === 'number') return c;
  const m = /Code: (\d+)\./.exec(String((e as Error)?.message ?? ''));
  return m ? Number(m[1]) : undefined;
}

/** True when the error means "ClickHouse is not reachable" rather than "ClickHouse refused this". */
export function isUnavailable(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string' && /^E[A-Z]+/.test(code)) return true; // ECONNREFUSED, ECONNRESET, ETIMEDOUT…
  const msg = String((e as Error)?.message ?? '');
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up|Timeout error|other side closed/i.test(msg) || clickhouseCode(e) === undefined;
}

export class Engine {
  readonly embedded: boolean;
  private indexOnInsert = true;

  private constructor(
    private readonly ingest: ClickHouseClient,
    private readonly reader: ClickHouseClient,
    embedded: boolean,
    private readonly log: Logger,
  ) {
    this.embedded = embedded;
  }

  private withOptions(o: EngineOptions): this {
    this.indexOnInsert = o.indexOnInsert ?? true;
    return this;
  }

  /** Opens the engine (without touching the schema). */
  static async open(o: EngineOptions, log: Logger): Promise<Engine> {
    if (!IDENT.test(o.clickhouseDatabase)) throw new IsotelError('ISOTEL_ERR_CONFIG_INVALID', `ISOTEL_CLICKHOUSE_DATABASE=${JSON.stringify(o.clickhouseDatabase)} is not a plain identifier`);
    if (o.clickhouseUrl) {
      const make = (): ClickHouseClient =>
        createClient({
          url: o.clickhouseUrl,
          username: o.clickhouseUser,
          password: o.clickhousePassword,
          database: o.clickhouseDatabase,
          request_timeout: 60_000,
          compression: { request: false, response: true },
          // Failures are retried and logged (boundedly) by the queue, not per attempt here.
          log: { level: ClickHouseLogLevel.OFF },
        });
      if (o.clickhouseDatabase !== 'default') {
        const admin = createClient({ url: o.clickhouseUrl, username: o.clickhouseUser, password: o.clickhousePassword });
        try {
          await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${o.clickhouseDatabase}` });
        } catch (e) {
          throw wrapUnavailable(e, o.clickhouseUrl);
        } finally {
          await admin.close();
        }
      }
      return new Engine(make(), make(), false, log).withOptions(o);
    }
    if (GLOB.test(o.dataDir)) {
      throw new IsotelError('ISOTEL_ERR_CONFIG_INVALID', `ISOTEL_DATA_DIR=${JSON.stringify(o.dataDir)} contains a character the embedded engine's file() cannot take (* ? { } [ ] ' \\): choose another path`);
    }
    const path = join(o.dataDir, 'clickhouse');
    mkdirSync(path, { recursive: true });
    const ingest = createClient({ connection: createChdbConnection({ path }) as never });
    const reader = createClient({ connection: createChdbConnection({ path }) as never });
    if (o.clickhouseDatabase !== 'default') {
      await ingest.command({ query: `CREATE DATABASE IF NOT EXISTS ${o.clickhouseDatabase}` });
      await ingest.command({ query: `USE ${o.clickhouseDatabase}` });
      await reader.command({ query: `USE ${o.clickhouseDatabase}` });
    }
    return new Engine(ingest, reader, true, log).withOptions(o);
  }

  async migrate(ttlDays: number): Promise<number> {
    return migrate(
      {
        command: async (sql) => {
          await this.ingest.command({ query: sql });
        },
        rows: async <T>(sql: string) => (await (await this.ingest.query({ query: sql, format: 'JSONEachRow' })).json()) as T[],
      },
      ttlDays,
      this.log,
    );
  }

  async ping(): Promise<boolean> {
    const r = await this.ingest.ping();
    return r.success;
  }

  /**
   * Inserts queue segment files (RowBinary, the table's INSERT column order) into
   * `table` as one insert. The token makes a replay of the same segment set a no-op
   * (insert deduplication, also applied to the tables the materialized views feed).
   */
  async insertSegments(table: TableName, files: readonly string[], token: string): Promise<void> {
    // Skip indexes (text/bloom) cost ~45% of an embedded insert here; merges build them anyway.
    const indexes = this.indexOnInsert || !this.embedded ? '' : ', materialize_skip_indexes_on_insert = 0';
    const dedup = `insert_deduplicate = 1, insert_deduplication_token = ${sqlString(token)}, deduplicate_blocks_in_dependent_materialized_views = 1${indexes}`;
    if (this.embedded) {
      // One block per insert (so a retried insert deduplicates block for block): read
      // the files in order on one thread and squash them into one block.
      const dir = files[0]!.slice(0, files[0]!.lastIndexOf('/'));
      const names = files.map((f) => f.slice(f.lastIndexOf('/') + 1));
      const glob = names.length === 1 ? `${dir}/${names[0]}` : `${dir}/{${names.join(',')}}`;
      await this.afterError(this.ingest, () => this.ingest.command({
        query:
          `INSERT INTO ${table} ${insertColumns(table)} SETTINGS ${dedup}, max_insert_threads = 1, ` +
          `min_insert_block_size_rows = 1000000000, min_insert_block_size_bytes = 1000000000000, max_insert_block_size = 1000000000 ` +
          `SELECT * FROM file(${sqlString(glob)}, 'RowBinary', ${sqlString(rowBinaryStructure(table))}) ` +
          `SETTINGS max_threads = 1, max_block_size = 100000000, max_insert_block_size = 100000000`,
      }));
      return;
    }
    // A server: the same bytes as the request body, FORMAT RowBinary.
    const body = new PassThrough();
    (async () => {
      for (const f of files) {
        for await (const chunk of createReadStream(f)) if (!body.write(chunk)) await new Promise((r) => body.once('drain', r));
      }
      body.end();
    })().catch((e: unknown) => body.destroy(e as Error));
    await this.ingest.exec({
      query: `INSERT INTO ${table} ${insertColumns(table)} FORMAT RowBinary`,
      values: body,
      // (Servers keep their own index policy: older ones do not know materialize_skip_indexes_on_insert.)
      clickhouse_settings: { insert_deduplicate: 1, insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 },
    }).then(async (r) => {
      r.stream.resume();
    });
  }

  /** Runs SQL on the ingest connection (the collector's own statements). */
  async command(sql: string): Promise<void> {
    await this.ingest.command({ query: sql });
  }

  /** A read-only query on the reader connection, with time and row limits. */
  async readQuery(sql: string, o: { timeoutMs: number; maxRows: number; compact: boolean; wrap: boolean }): Promise<QueryResult> {
    const started = performance.now();
    const limits = `readonly = 1, output_format_json_quote_64bit_integers = 1, max_execution_time = ${Math.max(0.1, o.timeoutMs / 1000)}, timeout_overflow_mode = 'throw'`;
    const text = o.wrap ? `SELECT * FROM (\n${sql}\n) LIMIT ${o.maxRows + 1} SETTINGS ${limits}` : `${sql}\nSETTINGS ${limits}`;
    const out = await this.afterError(this.reader, async () => (await (await this.reader.query({ query: text, format: o.compact ? 'JSONCompact' : 'JSON' })).json()) as { meta: { name: string; type: string }[]; data: unknown[] });
    const truncated = out.data.length > o.maxRows;
    const data = truncated ? out.data.slice(0, o.maxRows) : out.data;
    return { meta: out.meta.map(({ name, type }) => ({ name, type })), data, rows: data.length, truncated, elapsedMs: Math.round(performance.now() - started) };
  }

  /** The first line of ClickHouse's own parse of the statement (e.g. `SelectWithUnionQuery`). */
  async statementKind(sql: string): Promise<string> {
    const text = await this.afterError(this.reader, async () => (await this.reader.query({ query: `EXPLAIN AST ${sql}`, format: 'TabSeparatedRaw' })).text());
    return /[A-Za-z]+/.exec(text)?.[0] ?? '';
  }

  /**
   * chDB (3.4) hands the partial result of a query that failed mid-way (e.g. on
   * max_execution_time) to the *next* query of the same session. After a failure,
   * one throwaway query takes that stale result out, so the next caller gets its own.
   */
  private async afterError<T>(client: ClickHouseClient, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (this.embedded) {
        for (let i = 0; i < 2; i++) {
          const r = await client.query({ query: "SELECT 'isotel-flush'", format: 'TabSeparatedRaw' }).then((x) => x.text(), () => '');
          if (r.trim() === 'isotel-flush') break;
        }
      }
      throw e;
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.ingest.close(), this.reader.close()]);
  }
}

export function wrapUnavailable(e: unknown, where: string): IsotelError {
  if (e instanceof IsotelError) return e;
  return new IsotelError('ISOTEL_ERR_CLICKHOUSE_UNAVAILABLE', `ClickHouse at ${where}: ${(e as Error).message}`, { cause: e });
}
