/**
 * `node out/bench/classes.js`: the class list of docs/whole-tree.md as a check. Each bench/classes/NAME.c is a small
 * snippet (written for this project, not kernel text) reproducing one class of analyzer behaviour found in the
 * whole-tree triage or the mutant sweep; its first line says `expect: clean` (a false finding today) or `expect:
 * flagged` (a missed bug today) and the kernel release to check it as. Companion files NAME.*.c (e.g. a wrapper's body
 * in another file) are checked in the same run. Prints one line per class: PASS when the analyzer does what the
 * class expects.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../test/helpers/corpus';

const DIR = join(PROJECT_ROOT, 'bench', 'classes');
const CLI = join(PROJECT_ROOT, 'dist', 'cli.js');

function main(): void {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.c'));
  let pass = 0;
  const mains = files.filter((f) => f.split('.').length === 2).sort();
  for (const file of mains) {
    const name = file.slice(0, -2);
    const header = readFileSync(join(DIR, file), 'utf8').split('\n', 1)[0];
    const field = (k: string) =>
      header
        .split(';')
        .map((s) => s.trim())
        .find((s) => s.includes(`${k}:`))
        ?.split(`${k}:`)[1]
        .trim()
        .split(' ')[0] ?? '';
    const expect = field('expect');
    const kernel = field('kernel') || 'auto';
    const companions = files.filter((f) => f.startsWith(`${name}.`) && f !== file);
    const r = spawnSync(
      process.execPath,
      [
        CLI,
        'check',
        '--kernel',
        kernel,
        '--format',
        'json',
        ...(companions.length ? ['--index'] : []),
        file,
        ...companions,
      ],
      { cwd: DIR, encoding: 'utf8' },
    );
    const report = JSON.parse(r.stdout) as {
      findings: { file: string; severity: string; ruleId: string; line: number }[];
    };
    const own = report.findings
      .filter((f) => f.file.endsWith(`/${file}`) || f.file === file)
      .filter((f) => f.severity !== 'info');
    const ok = expect === 'clean' ? own.length === 0 : own.length > 0;
    if (ok) pass++;
    console.log(
      `${ok ? 'PASS' : 'FAIL'}  ${name.padEnd(30)} expect ${expect.padEnd(7)} got ${own.length ? own.map((f) => `${f.ruleId}@${f.line}`).join(', ') : 'clean'}`,
    );
  }
  console.log(`${pass} / ${mains.length} classes behave as expected`);
}

main();
