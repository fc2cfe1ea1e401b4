/**
 * Versioned schema migrations: collector-config/clickhouse/schema/NNNN_name.sql, the
 * single DDL source (the real OpenTelemetry Collector runs with create_schema: false
 * against the same tables). Applied in order at start; every statement is
 * IF NOT EXISTS, so a migration cut short by a crash is simply re-run. Applied
 * versions are recorded in isotel_schema_migrations.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IsotelError } from '../../common/errors.js';

const here = dirname(fileURLToPath(import.meta.url));
/** collector-config/clickhouse/schema, from dist/collector/clickhouse or collector/clickhouse. */
export const SCHEMA_DIR = join(here, here.includes(join('dist', 'collector')) ? '../../../collector-config/clickhouse/schema' : '../../collector-config/clickhouse/schema');

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
  readonly statements: readonly string[];
}

/** `{{TTL:expr}}` → `TTL expr + toIntervalDay(N)`, or nothing when ttlDays is 0. */
export function renderTtl(sql: string, ttlDays: number): string {
  return sql.replace(/\{\{TTL:([^}]+)\}\}/g, (_m, expr: string) => (ttlDays > 0 ? `TTL ${expr.trim()} + toIntervalDay(${ttlDays})` : ''));
}

/** Splits a migration file into statements (each ends with `;` at the end of a line). */
export function splitStatements(sql: string): string[] {
  const noComments = sql
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('--'))
    .join('\n');
  return noComments
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function loadMigrations(ttlDays: number, dir = SCHEMA_DIR): Migration[] {
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  return files.map((f) => {
    const text = readFileSync(join(dir, f), 'utf8');
    return {
      version: Number(f.slice(0, 4)),
      name: f.replace(/\.sql$/, ''),
      checksum: createHash('sha256').update(text).digest('hex').slice(0, 16),
      statements: splitStatements(renderTtl(text, ttlDays)),
    };
  });
}

export interface SqlRunner {
  command(sql: string): Promise<void>;
  rows<T>(sql: string): Promise<T[]>;
}

export async function migrate(db: SqlRunner, ttlDays: number, log: { info(m: string, f?: Record<string, unknown>): void; warn(m: string, f?: Record<string, unknown>): void }): Promise<number> {
  await db.command(
    'CREATE TABLE IF NOT EXISTS isotel_schema_migrations (Version UInt32, Name String, Checksum String, AppliedAt DateTime DEFAULT now()) ENGINE = ReplacingMergeTree ORDER BY Version',
  );
  const applied = new Map((await db.rows<{ Version: number; Checksum: string }>('SELECT Version, any(Checksum) AS Checksum FROM isotel_schema_migrations GROUP BY Version')).map((r) => [Number(r.Version), r.Checksum]));
  let count = 0;
  for (const m of loadMigrations(ttlDays)) {
    const done = applied.get(m.version);
    if (done !== undefined) {
      if (done !== m.checksum) log.warn('applied migration changed on disk; schema changes need a new migration file', { migration: m.name });
      continue;
    }
    for (const [i, stmt] of m.statements.entries()) {
      try {
        await db.command(stmt);
      } catch (e) {
        throw new IsotelError('ISOTEL_ERR_CLICKHOUSE_MIGRATION', `migration ${m.name} statement ${i + 1} failed: ${(e as Error).message}`, { cause: e });
      }
    }
    await db.command(`INSERT INTO isotel_schema_migrations (Version, Name, Checksum) VALUES (${m.version}, '${m.name}', '${m.checksum}')`);
    log.info('applied schema migration', { migration: m.name });
    count++;
  }
  return count;
}
