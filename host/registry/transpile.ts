/**
 * Turns what an author deploys (an ES module in JavaScript or TypeScript) into the
 * JavaScript the isolate compiles. esbuild does the parsing, so a syntax error is
 * reported with the author's file, line and column before anything reaches an isolate.
 */
import { build, transform, type Message } from 'esbuild';
import { IsotelError } from '../../common/errors.js';

export async function transpileFunction(source: string, filename: string): Promise<string> {
  const loader = /\.(c|m)?tsx?$/.test(filename) ? (filename.endsWith('x') ? 'tsx' : 'ts') : filename.endsWith('x') ? 'jsx' : 'js';
  try {
    const result = await transform(source, { loader, format: 'esm', target: 'es2022', sourcefile: filename, sourcemap: false, legalComments: 'inline' });
    return result.code;
  } catch (e) {
    const first = (e as { errors?: Message[] }).errors?.[0];
    if (!first) throw e;
    const loc = first.location;
    const where = loc ? `${loc.file || filename}:${loc.line}:${loc.column + 1}` : filename;
    throw new IsotelError('ISOTEL_ERR_DEPLOY_COMPILE', `${where}: ${first.text}`, {
      details: { file: loc?.file || filename, line: loc?.line, column: loc ? loc.column + 1 : undefined, lineText: loc?.lineText },
    });
  }
}

/** Built-in modules the runtime provides inside the isolate; left as imports. */
export const RUNTIME_MODULES = ['@opentelemetry/api', 'isotel:*'];

/**
 * Bundles a function from disk: its relative imports and npm dependencies become
 * one ES module (built-in runtime modules stay imports). Errors carry file and line.
 */
export async function bundleFunction(path: string): Promise<string> {
  try {
    const result = await build({ entryPoints: [path], bundle: true, write: false, format: 'esm', platform: 'neutral', target: 'es2022', external: RUNTIME_MODULES, logLevel: 'silent', legalComments: 'inline', mainFields: ['module', 'browser', 'main'], conditions: ['worker', 'browser'] });
    return result.outputFiles[0]!.text;
  } catch (e) {
    const first = (e as { errors?: Message[] }).errors?.[0];
    if (!first) throw e;
    const loc = first.location;
    const where = loc ? `${loc.file}:${loc.line}:${loc.column + 1}` : path;
    throw new IsotelError('ISOTEL_ERR_DEPLOY_COMPILE', `${where}: ${first.text}`, {
      details: { file: loc?.file ?? path, line: loc?.line, column: loc ? loc.column + 1 : undefined, lineText: loc?.lineText },
    });
  }
}
