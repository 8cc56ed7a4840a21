/**
 * `npm run bench:agreement`: do `check` and `simulate` agree on the kernel corpus (../shared/kernel-corpus, read in
 * place)? For every function with delegation events (a lock-protected change, break, wait, grant or open that the
 * simulator models): a check finding (error or warning) must come with a violation whose counterexample reaches the
 * finding's line; no finding must come with SAFE. Each file is checked once and its analyses are reused for every
 * function's simulation. Prints the agreement rate per release and every disagreement.
 *
 * With --mutants, the same comparison on mutants of every function calling try_break_deleg(): each call deleted,
 * and the first moved before the first lock the function takes (made in memory, as test/helpers/mutate.ts does).
 *
 *   node out/bench/agreement.js [filter] [--states N] [--json] [--mutants]
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { Analyzer, type LocatedFinding } from '../src/core/engine';
import { collectFiles } from '../src/cli/files';
import { nodeWasmSource } from '../src/core/parse/node-wasm';
import { CORPUS } from '../test/helpers/corpus';
import { simulateFunctionOf } from '../src/sim/simulate';
import { compareFunction, type Agreement } from '../src/sim/agreement';
import { Mutator } from '../test/helpers/mutate';

const LOCKS = [
  'lock_two_nondirectories',
  'lock_two_inodes',
  'inode_lock',
  'inode_lock_nested',
  'mutex_lock',
  'inode_lock_killable',
];

/** Compares check and simulate on one function of `text` (null: nothing to simulate). */
function compareIn(analyzer: Analyzer, rel: string, text: string, fn: string, maxStates: number): Agreement | null {
  const doc = analyzer.open(rel, text);
  try {
    const result = doc.result();
    const info = result.functions.find((f) => f.name === fn);
    if (result.error || !info) return null;
    const findings = result.findings.filter((f) => f.start >= info.start && f.end <= info.end);
    try {
      return compareFunction(fn, findings, simulateFunctionOf(doc, analyzer, fn, { maxStates }));
    } catch (e) {
      return {
        fn,
        findings: findings.length,
        verdict: 'safe',
        bounded: true,
        agree: false,
        why: `the explorer failed: ${(e as Error).message}`,
      };
    }
  } finally {
    doc.dispose();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const statesAt = args.indexOf('--states');
  const maxStates = statesAt >= 0 ? Number(args[statesAt + 1]) : 100_000;
  const filter = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--states');
  const json = args.includes('--json');
  const mutants = args.includes('--mutants');
  const analyzer = await Analyzer.create(nodeWasmSource());
  const t0 = performance.now();
  const rows: (Agreement & { release: string; file: string })[] = [];
  for (const file of collectFiles([CORPUS]).files.filter((f) => f.endsWith('.c'))) {
    const rel = relative(CORPUS, file);
    if (filter && !rel.includes(filter)) continue;
    const release = rel.split('/')[0];
    const doc = analyzer.open(rel, readFileSync(file, 'utf8'));
    try {
      const result = doc.result();
      if (result.error) continue;
      for (const fn of result.functions) {
        if (!fn.analyzed) continue;
        if (mutants) {
          const text = doc.source;
          const probe = new Mutator(analyzer, text, fn.name);
          const lock = LOCKS.map((l) => probe.calls(l)[0])
            .filter((l) => l !== undefined)
            .sort((x, y) => x.start - y.start)[0];
          probe.calls('try_break_deleg').forEach((c, i) => {
            const variants: [string, (m: Mutator) => void][] = [
              [`try_break_deleg #${i} deleted`, (m) => m.replace(c.start, c.end, '0')],
            ];
            if (i === 0 && lock && lock.start < c.start)
              variants.push([
                `try_break_deleg #${i} moved before the lock`,
                (m) => m.insert(lock.stmtStart, `${c.text};\n\t`).replace(c.start, c.end, '0'),
              ]);
            for (const [what, mutate] of variants) {
              const m = new Mutator(analyzer, text, fn.name);
              mutate(m);
              const a = compareIn(analyzer, rel, m.result(), fn.name, maxStates);
              if (a) rows.push({ ...a, fn: `${fn.name} (${what})`, release, file: rel });
            }
          });
          continue;
        }
        const findings = result.findings.filter((f: LocatedFinding) => f.start >= fn.start && f.end <= fn.end);
        let outcome;
        try {
          outcome = simulateFunctionOf(doc, analyzer, fn.name, { maxStates });
        } catch (e) {
          // The recursive explorer's stack (made iterative on the explorer branch): counted as a disagreement.
          rows.push({
            fn: fn.name,
            findings: findings.length,
            verdict: 'safe',
            bounded: true,
            agree: false,
            why: `the explorer failed: ${(e as Error).message}`,
            release,
            file: rel,
          });
          continue;
        }
        const a = compareFunction(fn.name, findings, outcome);
        if (a) rows.push({ ...a, release, file: rel });
      }
    } finally {
      doc.dispose();
    }
  }
  const releases = [...new Set(rows.map((r) => r.release))].sort(compareReleases);
  if (json) {
    console.log(JSON.stringify({ maxStates, rows }, null, 1));
    return;
  }
  console.log(
    `check vs simulate on ${CORPUS} (${mutants ? 'mutants: try_break_deleg deleted or moved before the lock' : 'functions with delegation events'}; state limit ${maxStates.toLocaleString('en-US')})\n`,
  );
  console.log('release      functions  agree   rate   (finding+violation / safe+safe)');
  let total = 0;
  let agreed = 0;
  for (const r of releases) {
    const mine = rows.filter((x) => x.release === r);
    const ok = mine.filter((x) => x.agree);
    total += mine.length;
    agreed += ok.length;
    const both = ok.filter((x) => x.findings > 0).length;
    console.log(
      `${r.padEnd(12)} ${String(mine.length).padStart(9)} ${String(ok.length).padStart(6)} ${pct(ok.length, mine.length).padStart(6)}   (${both} / ${ok.length - both})`,
    );
  }
  console.log(
    `${'all'.padEnd(12)} ${String(total).padStart(9)} ${String(agreed).padStart(6)} ${pct(agreed, total).padStart(6)}`,
  );
  const bad = rows.filter((x) => !x.agree);
  if (bad.length) {
    console.log(`\ndisagreements (${bad.length}):`);
    for (const b of bad) console.log(`  ${b.file}:${b.fn}: ${b.why}`);
  }
  console.log(`\n${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

function pct(n: number, d: number): string {
  return d ? `${((100 * n) / d).toFixed(1)}%` : '-';
}

function compareReleases(a: string, b: string): number {
  const v = (s: string) => s.replace(/^v/, '').split('.').map(Number);
  const [x, y] = [v(a), v(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
