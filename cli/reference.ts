/**
 * Generated reference material: the configuration table in the README and the
 * error code list in docs/errors.md. `npm run docs` writes them; a test fails when
 * they are stale, so the docs cannot drift from the code.
 */
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { registeredSchemas } from '../common/config.js';
import { ERRORS } from '../common/errors.js';

const distRoot = fileURLToPath(new URL('..', import.meta.url));

/** Imports every area's settings module (dist/**\/config.js) so each registers its schema. */
export async function loadAllSchemas(): Promise<void> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory() && !['test', 'bench', 'runtime', 'node_modules'].includes(e.name)) await walk(join(dir, e.name));
      else if (e.isFile() && e.name === 'config.js') found.push(join(dir, e.name));
    }
  };
  await walk(distRoot);
  await import(pathToFileURL(join(distRoot, 'common/settings.js')).href);
  for (const f of found.sort()) await import(pathToFileURL(f).href);
}

export function configReference(): string {
  const lines: string[] = [];
  for (const [area, schema] of registeredSchemas()) {
    lines.push(`**${area}**`, '', '| variable | default | meaning |', '| --- | --- | --- |');
    for (const s of Object.values(schema)) {
      const text = typeof s.default === 'string' && s.default.startsWith(process.cwd() + '/') ? `./${relative(process.cwd(), s.default)}` : String(s.default);
      const def = text === '' ? '(empty)' : `\`${text}\``;
      lines.push(`| \`${s.env}\` | ${def} | ${s.doc.replace(/\|/g, '\\|')} |`);
    }
    lines.push('');
  }
  return lines.join('\n').trim();
}

export function errorReference(): string {
  const lines = ['# Error codes', '', 'Every error isotel reports on purpose carries one of these codes (`error.code` in JSON bodies, `[CODE]` in CLI messages). *User* errors are caused by the request, the function or the configuration; *system* errors are isotel\'s or its environment\'s and are worth an alert. Generated from `common/errors.ts` by `npm run docs`.', '', '| code | HTTP | fault | what to do |', '| --- | --- | --- | --- |'];
  for (const [code, spec] of Object.entries(ERRORS)) lines.push(`| \`${code}\` | ${spec.status} | ${spec.userFault ? 'user' : 'system'} | ${spec.hint.replace(/\|/g, '\\|')} |`);
  return lines.join('\n') + '\n';
}

export const CONFIG_BEGIN = '<!-- config-reference:begin (npm run docs) -->';
export const CONFIG_END = '<!-- config-reference:end -->';

export function withConfigReference(readme: string, table: string): string {
  const a = readme.indexOf(CONFIG_BEGIN);
  const b = readme.indexOf(CONFIG_END);
  if (a === -1 || b === -1) throw new Error('README.md lacks the config reference markers');
  return readme.slice(0, a + CONFIG_BEGIN.length) + '\n' + table + '\n' + readme.slice(b);
}
