/**
 * The `vfslock` executable (dist/cli.js): a few lines that answer `--version` without loading the analyzer, and
 * otherwise hand over to dist/cli-main.js (src/cli/main.ts). `make C=1` starts one process per file and b4 one per
 * patch, so what a bare start loads is paid many times over (bench/startup.ts). Required as a module (scripts and
 * tests do `require('dist/cli.js').main(...)`), it is src/cli/main.ts.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
// Bundled apart (scripts/build.mjs): a path esbuild leaves alone, resolved next to this file.
const mainModule = './cli-main.js';

if (require.main !== module) {
  module.exports = require(mainModule);
} else {
  const argv = process.argv.slice(2);
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    process.stdout.write(`vfslock ${(require('./version') as typeof import('./version')).VERSION}\n`);
  } else {
    // A whole-tree check spends half its CPU in V8's optimising compiler, mostly recompiling the analyzer's large
    // functions with their callees inlined after each deoptimisation (its ops are objects of many shapes). A smaller
    // inlining budget per function compiles faster and runs as fast once warm: 6.12 fs/ --jobs 2 takes 10-13 % less
    // CPU (docs/benchmarks.md). Set before anything is compiled, for this process and its worker threads; the editor's
    // extension host, which the analyzer shares with other extensions, is left as it is.
    (require('node:v8') as typeof import('node:v8')).setFlagsFromString('--max-inlined-bytecode-size-cumulative=100');
    (require(mainModule) as typeof import('./main')).runCli(argv);
  }
}
