/**
 * `npm run bench:prescan` (and part of `npm run bench`): what the token pre-scan (src/core/parse/prescan.ts) buys, and
 * a check that it changes nothing.
 *
 * - Corpus, whole processes (the runs of each comparison interleaved, median of BENCH_RUNS, default 5):
 *   `vfslock check` of the corpus .c files with the pre-scan and with `--no-prescan`, against the parse floor (a Node
 *   process loading the same web-tree-sitter module and grammar that parses the same files and does nothing else);
 *   for the 6.19 + 7.1.5 files (issue 15's figure) and for all of them.
 * - Whole tree: `vfslock check --jobs 2 --format json fs/` of each extracted linux-source tree (bench/linux-source.ts;
 *   only the newest unless --all-trees), with and without the pre-scan: wall, CPU (/usr/bin/time), CPU per file, peak
 *   RSS, and whether the two reported the same findings (rule, file, line, column, message).
 * - `--mutants`: every mutant of the sweep (bench/mutants.ts) checked in process with and without the pre-scan; prints
 *   how many were compared and every difference (the target is none). Several minutes; not part of `npm run bench`.
 * `--no-tree` skips the whole-tree runs. Nothing is asserted.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Analyzer, Document, type LocatedFinding } from '../src/core/engine';
import { nodeWasmSource } from '../src/core/parse/node-wasm';
import { collectFiles } from '../src/cli/files';
import { CORPUS } from '../test/helpers/corpus';
import { corpusMutants } from './mutants';
import { linuxTrees } from './linux-source';
import { median } from './stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ROOT = join(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');
const CLI = join(DIST, 'cli.js');
const TIME = '/usr/bin/time';

function wall(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error || (r.status !== 0 && r.status !== 1))
    throw new Error(`${args.slice(0, 3).join(' ')}...: exit ${r.status}: ${r.stderr}`);
  return ms;
}

/** Median wall times of the commands, their runs interleaved (rotating order) so load hits them alike. */
function interleaved(cmds: string[][]): number[] {
  const times: number[][] = cmds.map(() => []);
  for (const c of cmds) wall(c); // warm the file cache
  for (let r = 0; r < RUNS; r++) {
    for (let k = 0; k < cmds.length; k++) {
      const j = (k + r) % cmds.length;
      times[j].push(wall(cmds[j]));
    }
  }
  return times.map(median);
}

function floorScript(dir: string): string {
  const floor = join(dir, 'floor.js');
  writeFileSync(
    floor,
    `
const { readFileSync } = require('node:fs');
const { Parser, Language } = require(${JSON.stringify(join(DIST, 'web-tree-sitter.cjs'))});
(async () => {
  await Parser.init({ locateFile: () => ${JSON.stringify(join(DIST, 'web-tree-sitter.wasm'))} });
  const lang = await Language.load(${JSON.stringify(join(DIST, 'tree-sitter-c.wasm'))});
  const p = new Parser();
  p.setLanguage(lang);
  for (const f of process.argv.slice(2)) p.parse(readFileSync(f, 'utf8')).delete();
})();
`,
  );
  return floor;
}

function corpus(): void {
  if (!existsSync(CORPUS)) {
    console.log('corpus: ../shared/kernel-corpus not found, skipped');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'vfslock-prescan-'));
  try {
    const floor = floorScript(dir);
    const all = collectFiles([CORPUS]).files.filter((f) => f.endsWith('.c'));
    const recent = all.filter((f) => /\/v(6\.19|7\.1\.5)\//.test(f));
    console.log(
      `corpus check ÷ bare parse of the same files, whole processes, median of ${RUNS} (node ${process.version})`,
    );
    for (const [name, files] of [
      ['6.19 + 7.1.5', recent],
      ['all releases', all],
    ] as const) {
      const [pre, nopre, parse] = interleaved([
        [CLI, 'check', '--format', 'json', ...files],
        [CLI, 'check', '--format', 'json', '--no-prescan', ...files],
        [floor, ...files],
      ]);
      console.log(
        `  ${name.padEnd(13)} ${String(files.length).padStart(3)} files: check ${pre.toFixed(0)} ms, --no-prescan ${nopre.toFixed(0)} ms, ` +
          `parse ${parse.toFixed(0)} ms: ratio ${(pre / parse).toFixed(2)} (${(nopre / parse).toFixed(2)} without the pre-scan; target ≤ 1.0)`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface TreeRun {
  wallS: number;
  cpuS: number | null;
  rssMB: number | null;
  files: number;
  findings: string[];
}

async function treeRun(dirs: string[], extra: string[]): Promise<TreeRun> {
  const tmp = mkdtempSync(join(tmpdir(), 'vfslock-prescan-tree-'));
  try {
    const out = join(tmp, 'time');
    const args = [CLI, 'check', '--jobs', '2', '--format', 'json', ...extra, ...dirs];
    const useTime = existsSync(TIME);
    const t0 = performance.now();
    const child = useTime
      ? spawn(TIME, ['-f', '%U %S %M', '-o', out, process.execPath, ...args])
      : spawn(process.execPath, args);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.resume();
    await new Promise((r) => child.on('close', r));
    const wallS = (performance.now() - t0) / 1000;
    const report = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      findings: LocatedFinding[] & { file: string }[];
      stats: { files: number };
    };
    let cpuS: number | null = null;
    let rssMB: number | null = null;
    if (useTime) {
      const [u, s, m] = readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      cpuS = u + s;
      rssMB = m / 1024;
    }
    const findings = report.findings
      .map((f) => `${(f as unknown as { file: string }).file}|${f.ruleId}|${f.line}|${f.column}|${f.message}`)
      .sort();
    return { wallS, cpuS, rssMB, files: report.stats.files, findings };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function trees(allTrees: boolean): Promise<void> {
  const found = linuxTrees();
  if (!found.length) {
    console.log('whole tree: no extracted linux-source tree found (bench/linux-source.ts), skipped');
    return;
  }
  for (const t of allTrees ? found : found.slice(-1)) {
    const fs = join(t.dir, 'fs');
    const pre: TreeRun[] = [];
    const nopre: TreeRun[] = [];
    const runs = Number(process.env.BENCH_TREE_RUNS ?? 1);
    for (let r = 0; r < runs; r++) {
      pre.push(await treeRun([fs], []));
      nopre.push(await treeRun([fs], ['--no-prescan']));
    }
    const show = (name: string, xs: TreeRun[]) => {
      const w = median(xs.map((x) => x.wallS));
      const cpu = xs[0].cpuS === null ? null : median(xs.map((x) => x.cpuS!));
      const rss = xs[0].rssMB === null ? null : Math.max(...xs.map((x) => x.rssMB!));
      console.log(
        `  ${name.padEnd(14)} ${w.toFixed(1)} s wall, ${cpu === null ? '?' : cpu.toFixed(1)} s CPU, ` +
          `${cpu === null ? '?' : ((cpu * 1000) / xs[0].files).toFixed(1)} ms CPU per file, peak RSS ${rss === null ? '?' : rss.toFixed(0)} MB (process), ${xs[0].findings.length} findings`,
      );
    };
    console.log(`whole tree ${relative('/', fs)} (${t.version}), ${pre[0].files} files, --jobs 2, median of ${runs}:`);
    show('pre-scan', pre);
    show('--no-prescan', nopre);
    const same = pre.every((x) => JSON.stringify(x.findings) === JSON.stringify(nopre[0].findings));
    console.log(`  findings identical with and without the pre-scan: ${same ? 'yes' : 'NO'}`);
    if (!same) {
      const a = new Set(pre[0].findings);
      const b = new Set(nopre[0].findings);
      for (const f of a) if (!b.has(f)) console.log(`    only with the pre-scan: ${f}`);
      for (const f of b) if (!a.has(f)) console.log(`    only without: ${f}`);
    }
  }
}

async function mutants(): Promise<void> {
  const analyzer = await Analyzer.create(nodeWasmSource());
  const key = (f: LocatedFinding) => `${f.ruleId}|${f.line}:${f.column}|${f.message}`;
  let compared = 0;
  let differ = 0;
  const modes = new Map<string, number>();
  const t0 = performance.now();
  for (const file of collectFiles([CORPUS]).files.filter((f) => f.endsWith('.c'))) {
    const rel = relative(CORPUS, file);
    const text = readFileSync(file, 'utf8');
    for (const m of corpusMutants(analyzer, rel, text)) {
      let mutated: string;
      try {
        mutated = m.make();
      } catch {
        continue;
      }
      const doc = new Document(analyzer, rel, mutated, {}, true);
      const pre = doc.result().findings.map(key);
      modes.set(doc.parseMode, (modes.get(doc.parseMode) ?? 0) + 1);
      doc.dispose();
      const full = analyzer.check(rel, mutated, { prescan: false }).findings.map(key);
      compared++;
      if (JSON.stringify(pre) !== JSON.stringify(full)) {
        differ++;
        console.log(`  DIFFERENT: ${rel} ${m.fn}: ${m.op}`);
      }
    }
  }
  console.log(
    `mutant sweep: ${compared} mutants, ${differ} with different findings with and without the pre-scan (target 0); ` +
      `parses: ${[...modes].map(([k, v]) => `${k} ${v}`).join(', ')}; ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
}

async function main(): Promise<void> {
  if (process.argv.includes('--mutants')) {
    await mutants();
    return;
  }
  corpus();
  if (!process.argv.includes('--no-tree')) await trees(process.argv.includes('--all-trees'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
