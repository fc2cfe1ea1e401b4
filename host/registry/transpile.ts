/**
 * Turns what an author deploys (an ES module in JavaScript or TypeScript) into the
 * code the isolate compiles. esbuild does the parsing, so a syntax error is reported
 * with the author's file, line and column before anything reaches an isolate.
 *
 * The output is a classic script when it can be: V8 code cache works for scripts
 * (isolated-vm 5.0.4 compiles modules without cache options), so every cold start
 * after the first compiles from cache. The module's exports come back as the value
 * of a factory `(function (require) { … return exports })`, with `require` serving
 * only the runtime's built-in modules. A module using top-level await stays an ES
 * module (no code cache). Either way a source map back to the author's files is
 * kept, so stack traces and error locations name the lines the author wrote.
 */
import { build, transform, type Message } from 'esbuild';
import { dirname } from 'node:path';
import { IsotelError } from '../../common/errors.js';

/** Built-in modules the runtime provides inside the isolate; left as imports. */
export const RUNTIME_MODULES = ['@opentelemetry/api', 'isotel:*'];

export type FunctionFormat = 'script' | 'module';

export interface CompiledFunction {
  readonly code: string;
  readonly format: FunctionFormat;
  /** Source map (JSON) from `code` back to the author's sources. */
  readonly sourceMap: string | undefined;
}

const EXPORTS = '__isotel_exports';

function loaderFor(filename: string): 'ts' | 'tsx' | 'js' | 'jsx' {
  if (/\.(c|m)?tsx?$/.test(filename)) return filename.endsWith('x') ? 'tsx' : 'ts';
  return filename.endsWith('x') ? 'jsx' : 'js';
}

function compileError(e: unknown, fallbackFile: string): unknown {
  const first = (e as { errors?: Message[] }).errors?.[0];
  if (!first) return e;
  const loc = first.location;
  const file = loc?.file || fallbackFile;
  const where = loc ? `${file}:${loc.line}:${loc.column + 1}` : fallbackFile;
  return new IsotelError('ISOTEL_ERR_DEPLOY_COMPILE', `${where}: ${first.text}`, {
    details: { file, line: loc?.line, column: loc ? loc.column + 1 : undefined, lineText: loc?.lineText },
  });
}

/** Wraps esbuild's IIFE output as a factory; keeps line numbers (the wrapper sits on the first and last line). */
function asFactory(iife: string): string {
  const prefix = `var ${EXPORTS} = `;
  const body = iife.startsWith(prefix) ? `return ${iife.slice(prefix.length)}` : `${iife}; return undefined;`;
  return `(function (require) { "use strict"; ${body}\n})`;
}

/** Compiles one ES module's text (JavaScript or TypeScript; an inline source map in it is followed). */
export async function compileFunctionSource(source: string, filename: string): Promise<CompiledFunction> {
  const common = { loader: loaderFor(filename), target: 'es2022', sourcefile: filename, sourcemap: 'external', sourcesContent: true, legalComments: 'inline' } as const;
  try {
    const r = await transform(source, { ...common, format: 'iife', globalName: EXPORTS });
    return { code: asFactory(r.code), format: 'script', sourceMap: r.map || undefined };
  } catch (e) {
    const text = (e as { errors?: Message[] }).errors?.[0]?.text ?? '';
    if (!/top-level await/i.test(text)) throw compileError(e, filename);
  }
  try {
    const r = await transform(source, { ...common, format: 'esm' });
    return { code: r.code, format: 'module', sourceMap: r.map || undefined };
  } catch (e) {
    throw compileError(e, filename);
  }
}

/** Kept for callers that only need JavaScript out of TypeScript (module form). */
export async function transpileFunction(source: string, filename: string): Promise<string> {
  try {
    return (await transform(source, { loader: loaderFor(filename), format: 'esm', target: 'es2022', sourcefile: filename, legalComments: 'inline' })).code;
  } catch (e) {
    throw compileError(e, filename);
  }
}

/**
 * Bundles a function from disk: its relative imports and npm dependencies become
 * one ES module (built-in runtime modules stay imports), with an inline source map
 * to the files on disk. Errors carry file and line.
 */
export async function bundleFunction(path: string): Promise<string> {
  try {
    const result = await build({
      entryPoints: [path],
      absWorkingDir: dirname(path),
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      external: RUNTIME_MODULES,
      logLevel: 'silent',
      legalComments: 'inline',
      sourcemap: 'inline',
      sourcesContent: true,
      mainFields: ['module', 'browser', 'main'],
      conditions: ['worker', 'browser'],
    });
    return result.outputFiles[0]!.text;
  } catch (e) {
    throw compileError(e, path);
  }
}
