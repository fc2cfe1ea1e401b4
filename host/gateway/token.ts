/**
 * The admin API's bearer token: created on first start (32 random bytes), stored
 * in the data directory with mode 0600, compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export function tokenPath(dataDir: string): string {
  return join(dataDir, 'admin-token');
}

export async function ensureAdminToken(dataDir: string, explicit: string): Promise<string> {
  if (explicit) return explicit;
  const path = tokenPath(dataDir);
  try {
    const existing = (await readFile(path, 'utf8')).trim();
    if (existing) {
      await chmod(path, 0o600);
      return existing;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await mkdir(dataDir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  // 'wx': never overwrite a token another process created meanwhile.
  try {
    await writeFile(path, token + '\n', { mode: 0o600, flag: 'wx' });
    return token;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return (await readFile(path, 'utf8')).trim();
    throw e;
  }
}

/** Constant-time check of an `Authorization` header against the token (hashing first equalises lengths). */
export function checkBearer(header: string | undefined, token: string): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  const given = createHash('sha256').update(header.slice(7).trim()).digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, expected);
}
