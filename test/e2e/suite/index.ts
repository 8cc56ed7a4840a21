/**
 * extensionTestsPath entry (the @vscode/test-electron contract): VS Code's extension host calls run() and exits
 * with its outcome. VFSLOCK_E2E_SUITE lists the test files to load (e.g. main,patch); mocha comes from the
 * e2e harness (resolved from this bundle's folder, .e2e/harness/suite/).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function run(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Mocha = require('mocha') as new (o: object) => {
    addFile(f: string): void;
    run(cb: (failures: number) => void): {
      stats: { passes: number; failures: number; pending: number };
      on(ev: string, fn: (t: { fullTitle(): string; duration?: number }, e?: Error) => void): void;
    };
  };
  const report = process.env.VFSLOCK_E2E_REPORT ?? path.join(process.env.TMPDIR ?? '/tmp', 'vfslock-e2e-report.txt');
  const suites = (process.env.VFSLOCK_E2E_SUITE ?? 'main').split(',');
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60000, reporter: 'spec' });
  for (const s of suites) mocha.addFile(path.join(__dirname, `${s}.test.js`));
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    const runner = mocha.run((failures) => {
      lines.push(`${runner.stats.passes} passed, ${runner.stats.failures} failed, ${runner.stats.pending} skipped`);
      fs.mkdirSync(path.dirname(report), { recursive: true });
      fs.writeFileSync(report, lines.join('\n') + '\n');
      if (failures) reject(new Error(`${failures} tests failed.`));
      else resolve();
    });
    runner.on('pass', (t) => lines.push(`ok - ${t.fullTitle()} (${t.duration ?? 0} ms)`));
    runner.on('fail', (t, e) => lines.push(`not ok - ${t.fullTitle()}: ${e?.stack ?? e?.message}`));
    runner.on('pending', (t) => lines.push(`skip - ${t.fullTitle()}`));
  });
}
