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
    (require(mainModule) as typeof import('./main')).runCli(argv);
  }
}
