import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'dist.*/', '.isotel/', 'dashboards/viewer/vendor/', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', AbortController: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', performance: 'readonly', fetch: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // Functions run in an isolate with the ECMA-429 globals (docs/runtime.md), not Node's.
    files: ['examples/**/*.js', 'examples/**/*.ts'],
    // Examples show the full handler signature (request, env, ctx) even when a handler does not use all of it.
    rules: { '@typescript-eslint/no-unused-vars': ['error', { args: 'none', varsIgnorePattern: '^_', caughtErrors: 'none' }] },
    languageOptions: {
      globals: Object.fromEntries(['AbortController', 'AbortSignal', 'Blob', 'ByteLengthQueuingStrategy', 'CompressionStream', 'CountQueuingStrategy', 'Crypto', 'CryptoKey', 'CustomEvent', 'DOMException', 'DecompressionStream', 'ErrorEvent', 'Event', 'EventTarget', 'File', 'FormData', 'FetchEvent', 'Headers', 'MessageChannel', 'MessageEvent', 'MessagePort', 'Performance', 'PromiseRejectionEvent', 'ReadableStream', 'Request', 'Response', 'SubtleCrypto', 'TextDecoder', 'TextDecoderStream', 'TextEncoder', 'TextEncoderStream', 'TransformStream', 'URL', 'URLPattern', 'URLSearchParams', 'WebAssembly', 'WritableStream', 'addEventListener', 'atob', 'btoa', 'clearInterval', 'clearTimeout', 'console', 'crypto', 'fetch', 'navigator', 'performance', 'queueMicrotask', 'removeEventListener', 'reportError', 'self', 'setInterval', 'setTimeout', 'structuredClone'].map((n) => [n, 'readonly'])),
    },
  },
  {
    // The in-isolate runtime: no Node APIs, ever.
    files: ['sdk/runtime/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', 'fs', 'path', 'http', 'os', 'child_process', 'crypto', 'net', 'stream', 'buffer', 'util'], message: 'sdk/runtime runs inside a bare V8 isolate: no Node APIs.' }] }],
      'no-restricted-globals': ['error', 'process', 'Buffer', 'require'],
    },
  },
  {
    // Only host/isolate may import isolated-vm; the host never imports runtime modules.
    files: ['host/**/*.ts', 'collector/**/*.ts', 'cli/**/*.ts', 'common/**/*.ts'],
    ignores: ['host/isolate/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'isolated-vm', message: 'Only host/isolate/ imports isolated-vm.' }], patterns: [{ group: ['**/sdk/runtime/**'], message: 'The host loads the runtime as a built bundle, never imports it.' }] }],
    },
  },
);
