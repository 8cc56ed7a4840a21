/**
 * `node out/bench/fixes.js [FILTER] [SECONDS]`: the mutant sweep of bench/mutants.ts's kinds (delete, block or move a
 * break; drop a retry; drop an unlock), with every offered fix applied and the whole file re-checked from scratch.
 * Counts mutants, fixes offered, and fixes that add a finding or leave theirs (both must be 0). Bounded in time
 * (default 600 s): it stops between files and says how far it got.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { Analyzer } from '../src/core/engine';
import { collectFiles } from '../src/cli/files';
import { nodeWasmSource } from '../src/core/parse/node-wasm';
import { offerFixes } from '../src/core/fixes/offer';
import { countFindings, findingKey } from '../src/core/fixes/writer';
import { CORPUS } from '../test/helpers/corpus';
import { Mutator } from '../test/helpers/mutate';

const LOCKS = [
  'inode_lock',
  'inode_lock_nested',
  'inode_lock_killable',
  'mutex_lock',
  'mutex_lock_nested',
  'lock_two_nondirectories',
  'lock_rename',
];
const UNLOCKS = ['inode_unlock', 'mutex_unlock', 'unlock_two_nondirectories', 'unlock_rename'];
const SKIP = /nfs4state\.c$|(?<!ecryptfs)\/inode\.c$/;

function operators(m0: Mutator): [string, (m: Mutator) => void][] {
  const ops: [string, (m: Mutator) => void][] = [];
  const firstLock = LOCKS.flatMap((l) => m0.calls(l)).sort((x, y) => x.start - y.start)[0];
  m0.calls('try_break_deleg').forEach((c, i) => {
    if (firstLock && firstLock.start < c.start)
      ops.push([
        `move-before-lock#${i}`,
        (m) => m.insert(firstLock.stmtStart, `${c.text};\n\t`).replace(c.start, c.end, '0'),
      ]);
    const inode = c.text.slice(c.text.indexOf('(') + 1, c.text.indexOf(','));
    ops.push([`blocking#${i}`, (m) => m.replace(c.start, c.end, `break_deleg(${inode}, O_WRONLY)`)]);
    ops.push([`delete#${i}`, (m) => m.replace(c.start, c.end, '0')]);
  });
  try {
    m0.enclosing('break_deleg_wait', 'if_statement').forEach((b, i) =>
      ops.push([`drop-retry#${i}`, (m) => m.replace(b.start, b.end, ';')]),
    );
  } catch {
    // no wait inside an if
  }
  for (const u of UNLOCKS)
    m0.calls(u).forEach((c, i) => ops.push([`drop ${u}#${i}`, (m) => m.replace(c.stmtStart, c.stmtEnd, ';')]));
  return ops;
}

function apply(text: string, edits: readonly { start: number; end: number; newText: string }[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start))
    out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

async function main(): Promise<void> {
  const only = process.argv[2] && process.argv[2] !== '-' ? process.argv[2] : null;
  const budget = Number(process.argv[3] ?? 600) * 1000;
  const a = await Analyzer.create(nodeWasmSource());
  const t0 = performance.now();
  let mutants = 0,
    offered = 0,
    worse = 0,
    notFixed = 0,
    files = 0,
    stopped = '';
  const bad: string[] = [];
  const all = collectFiles([CORPUS]).files.filter(
    (f) => f.endsWith('.c') && !SKIP.test(f) && (!only || f.includes(only)),
  );
  for (const file of all) {
    if (performance.now() - t0 > budget) {
      stopped = `stopped by the time budget after ${files} of ${all.length} files`;
      break;
    }
    files++;
    const rel = relative(CORPUS, file);
    const text = readFileSync(file, 'utf8');
    for (const fn of new Set(a.check(rel, text).functions.map((u) => u.name))) {
      for (const [name, mutate] of operators(new Mutator(a, text, fn))) {
        const m = new Mutator(a, text, fn);
        mutate(m);
        const mutated = m.result();
        mutants++;
        const { result, fixes } = offerFixes(a, rel, mutated);
        const before = countFindings(result.findings);
        for (const [i, list] of fixes) {
          for (const fix of list) {
            offered++;
            const now = countFindings(a.check(rel, apply(mutated, fix.edits)).findings);
            const own = findingKey(result.findings[i]);
            if ([...now].some(([k, n]) => n > (before.get(k) ?? 0))) {
              worse++;
              bad.push(`${rel} ${fn} ${name}: "${fix.title}" adds a finding`);
            } else if ((now.get(own) ?? 0) >= (before.get(own) ?? 0)) {
              notFixed++;
              bad.push(`${rel} ${fn} ${name}: "${fix.title}" leaves its finding`);
            }
          }
        }
      }
    }
  }
  console.log(
    `fix sweep: ${files} files, ${mutants} mutants, ${offered} fixes offered, ${worse} add a finding, ${notFixed} leave theirs, ` +
      `${((performance.now() - t0) / 1000).toFixed(0)} s${stopped ? ` (${stopped})` : ''}`,
  );
  for (const b of bad) console.log(`  ${b}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
