/**
 * The read-only query path shared by the query API and `isotel query` without a
 * running collector: one statement, of a reading kind (decided by ClickHouse's own
 * parser via EXPLAIN AST, not by regex), run with readonly = 1 (which also refuses
 * file()/url() table functions), a time limit and a row limit.
 */
import { IsotelError } from '../../common/errors.js';
import { clickhouseCode, type Engine, type QueryResult } from '../clickhouse/engine.js';

const MAX_SQL = 100_000;
const SELECT_KINDS = /^(SelectWithUnionQuery|SelectIntersectExceptQuery|SelectQuery)$/;
const OTHER_KINDS = /^(Show\w*|Describe\w*|Explain\w*|Exists\w*)$/;

/** True if `sql` has a `;` outside string literals, quoted identifiers and comments (other than a trailing one). */
export function hasSecondStatement(sql: string): boolean {
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') {
      i++;
      while (i < n && sql[i] !== c) i += sql[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
    } else if (c === '#') {
      while (i < n && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === ';') {
      return sql.slice(i + 1).trim() !== '';
    } else i++;
  }
  return false;
}

export interface ReadOnlyLimits {
  timeoutMs: number;
  maxRows: number;
}

export async function runReadOnly(engine: Engine, sqlIn: string, format: 'JSONEachRow' | 'JSONCompactEachRow', limits: ReadOnlyLimits): Promise<QueryResult> {
  let sql = sqlIn.trim();
  if (sql.length === 0) throw new IsotelError('ISOTEL_ERR_QUERY_BAD_REQUEST', 'the query is empty');
  if (sql.length > MAX_SQL) throw new IsotelError('ISOTEL_ERR_QUERY_BAD_REQUEST', `the query is ${sql.length} characters; the limit is ${MAX_SQL}`);
  if (hasSecondStatement(sql)) throw new IsotelError('ISOTEL_ERR_QUERY_READONLY', 'only one statement per query');
  sql = sql.replace(/;\s*$/, '');
  let kind: string;
  try {
    kind = await engine.statementKind(sql);
  } catch (e) {
    throw queryError(e);
  }
  const select = SELECT_KINDS.test(kind);
  if (!select && !OTHER_KINDS.test(kind)) throw new IsotelError('ISOTEL_ERR_QUERY_READONLY', `${kind || 'this statement'} is not a reading statement`);
  try {
    return await engine.readQuery(sql, { timeoutMs: limits.timeoutMs, maxRows: limits.maxRows, compact: format === 'JSONCompactEachRow', wrap: select });
  } catch (e) {
    throw queryError(e);
  }
}

function queryError(e: unknown): IsotelError {
  if (e instanceof IsotelError) return e;
  const code = clickhouseCode(e);
  const msg = String((e as Error)?.message ?? e);
  if (code === 159 || code === 160 || /TIMEOUT_EXCEEDED|Timeout exceeded/i.test(msg)) return new IsotelError('ISOTEL_ERR_QUERY_TIMEOUT', msg, { cause: e });
  if (code === 164 || /readonly mode/i.test(msg)) return new IsotelError('ISOTEL_ERR_QUERY_READONLY', msg, { cause: e });
  if (code === undefined && /ECONNREFUSED|ECONNRESET|socket/i.test(msg)) return new IsotelError('ISOTEL_ERR_CLICKHOUSE_UNAVAILABLE', msg, { cause: e });
  return new IsotelError('ISOTEL_ERR_QUERY_FAILED', msg, { cause: e });
}
