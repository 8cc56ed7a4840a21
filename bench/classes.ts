/**
 * `node out/bench/classes.js`: the class list of docs/whole-tree.md as a check. Each bench/classes/NAME.c is a small
 * snippet (written for this project, not kernel text) reproducing one class of analyzer behaviour found in the
 * whole-tree triage or the mutant sweep; its first line says `expect: clean` (a false finding today) or `expect:
 * flagged` (a missed bug today) and the kernel release to check it as. Companion files NAME.*.c (e.g. a wrapper's body
 * in another file) are checked in the same run. Prints one line per class: PASS when the analyzer does what the
 * class expects.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
    // The snippet and its companions are the whole of a small kernel tree (a Makefile, fs/, include/): with the
    // tree's index, a function nothing in it calls is a root, as in a whole-tree run.
    const tree = mkdtempSync(join(tmpdir(), 'vfslock-class-'));
    const [major, minor] = (kernel === 'auto' ? '6.12' : kernel).split('.');
    mkdirSync(join(tree, 'include', 'linux'), { recursive: true });
    mkdirSync(join(tree, 'fs', 'classes'), { recursive: true });
    writeFileSync(join(tree, 'Makefile'), `VERSION = ${major}\nPATCHLEVEL = ${minor}\n`);
    for (const f of [file, ...companions]) copyFileSync(join(DIR, f), join(tree, 'fs', 'classes', f));
    const r = spawnSync(
      process.execPath,
      [CLI, 'check', '--kernel', kernel, '--format', 'json', '--index', join('fs', 'classes', file)],
      { cwd: tree, encoding: 'utf8', env: { ...process.env, VFSLOCK_CACHE_DIR: join(tree, '.cache') } },
    );
    rmSync(tree, { recursive: true, force: true });
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
