/**
 * `npm run bench:mutants`: a systematic mutant sweep over ../shared/kernel-corpus (read in place). Every call site of
 * the VFS core and its stacking users, in all releases, is mutated with the operators of the analyzer issue, one
 * mutant at a time; a mutant is caught when the file gains an error or warning. Prints the totals and each survivor.
 * Slow (about four minutes): it is not part of `npm run bench`.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { Analyzer, type FileResult } from '../src/core/engine';
import { collectFiles } from '../src/cli/files';
import { nodeWasmSource } from '../src/core/parse/node-wasm';
import { CORPUS } from '../test/helpers/corpus';
import { Mutator } from '../test/helpers/mutate';

const LOCKS = ['inode_lock', 'inode_lock_nested', 'inode_lock_killable', 'mutex_lock', 'mutex_lock_nested', 'lock_two_nondirectories',
  'lock_two_inodes', 'lock_rename', 'lock_rename_child'];
const UNLOCKS = ['inode_unlock', 'mutex_unlock', 'unlock_two_nondirectories', 'unlock_two_inodes', 'unlock_rename'];
/** The larger files that are not VFS paths (nfs4state.c, inode.c) are left out to keep the sweep short. */
const SKIP = /nfs4state\.c$|(?<!ecryptfs)\/inode\.c$/;

type Operator = [string, (m: Mutator) => void];

function operators(m0: Mutator): Operator[] {
  const ops: Operator[] = [];
  const firstLock = LOCKS.flatMap((l) => m0.calls(l)).sort((x, y) => x.start - y.start)[0];
  m0.calls('try_break_deleg').forEach((c, i) => {
    if (firstLock && firstLock.start < c.start) ops.push([`move-before-lock try_break_deleg#${i}`, (m) => m.insert(firstLock.stmtStart, `${c.text};\n\t`).replace(c.start, c.end, '0')]);
    const inode = c.text.slice(c.text.indexOf('(') + 1, c.text.indexOf(','));
    ops.push([`blocking try_break_deleg#${i}`, (m) => m.replace(c.start, c.end, `break_deleg(${inode}, O_WRONLY)`)]);
    ops.push([`delete try_break_deleg#${i}`, (m) => m.replace(c.start, c.end, '0')]);
  });
  m0.calls('break_lease').forEach((c, i) => ops.push([`delete break_lease#${i}`, (m) => m.replace(c.start, c.end, '0')]));
  if (m0.calls('break_deleg_wait').length) {
    try {
      m0.enclosing('break_deleg_wait', 'if_statement').forEach((b, i) => ops.push([`drop-retry#${i}`, (m) => m.replace(b.start, b.end, ';')]));
    } catch {
      // a wait that is not inside an if: nothing to drop
    }
  }
  for (const u of UNLOCKS) m0.calls(u).forEach((c, i) => ops.push([`drop ${u}#${i}`, (m) => m.replace(c.stmtStart, c.stmtEnd, ';')]));
  [...m0.calls('inode_trylock'), ...m0.calls('mutex_trylock')].forEach((c, i) => ops.push([`drop-trylock#${i}`, (m) => m.replace(c.start, c.end, '1')]));
  return ops;
}

async function main(): Promise<void> {
  const only = process.argv[2];
  const analyzer = await Analyzer.create(nodeWasmSource());
  const t0 = performance.now();
  let total = 0;
  const survivors: string[] = [];
  const byOperator = new Map<string, [number, number]>();
  for (const file of collectFiles([CORPUS]).files.filter((f) => f.endsWith('.c') && !SKIP.test(f))) {
    if (only && !file.includes(only)) continue;
    const rel = relative(CORPUS, file);
    const text = readFileSync(file, 'utf8');
    const counted = (r: FileResult) => r.findings.filter((f) => f.severity !== 'info').length;
    const original = analyzer.check(rel, text);
    const base = counted(original);
    // The check already lists the file's functions: no second parse for their names.
    const names = new Set(original.functions.map((u) => u.name));
    for (const fn of names) {
      for (const [name, mutate] of operators(new Mutator(analyzer, text, fn))) {
        const m = new Mutator(analyzer, text, fn);
        mutate(m);
        const caught = counted(analyzer.check(rel, m.result())) > base;
        total++;
        const kind = name.replace(/#\d+$/, '').replace(/ .*$/, '');
        const rec = byOperator.get(kind) ?? [0, 0];
        rec[0]++;
        if (caught) rec[1]++;
        byOperator.set(kind, rec);
        if (!caught) survivors.push(`${rel} ${fn}: ${name}`);
      }
    }
  }
  console.log(`mutants ${total}, caught ${total - survivors.length}, survived ${survivors.length} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  for (const [kind, [n, caught]] of [...byOperator].sort()) console.log(`  ${kind.padEnd(18)} ${String(caught).padStart(4)} / ${n} caught`);
  for (const s of survivors) console.log(`  survived: ${s}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
