// ESLint 9 flat config: typescript-eslint's recommended rules, without type information so that a lint of the whole
// tree takes seconds. `npm run lint` (src, test, bench, scripts) is a step of `npm test`. Layout is prettier's
// (.prettierrc.json), not ESLint's. An eslint-disable comment that no longer silences anything is an error.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// What Node gives a script (the .ts files leave undefined names to tsc: typescript-eslint turns no-undef off there).
const nodeGlobals = Object.fromEntries(
  [
    'console',
    'process',
    'Buffer',
    'URL',
    'TextDecoder',
    'TextEncoder',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'performance',
    'structuredClone',
    'AbortController',
    'fetch',
  ].map((g) => [g, 'readonly']),
);

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.e2e/**', '.vscode-test/**', '**/*.d.ts'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: nodeGlobals },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_name`: a parameter or binding kept for its position (callbacks, destructuring); a caught error may go unused.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Tests match terminal escapes and control characters on purpose, and spell out indented C lines literally.
    files: ['test/**'],
    rules: { 'no-control-regex': 'off', 'no-regex-spaces': 'off' },
  },
  {
    // Functions the UI tests hand to the browser (page.evaluate) run in the page.
    files: ['test/e2e/**/*.mjs'],
    languageOptions: { globals: { document: 'readonly', window: 'readonly' } },
  },
);
