/**
 * `npm run bench`: figures for the README. Prints, per corpus file and in total, parse-only and full-check times
 * (medians of warm runs in one process), and the median re-check time after a one-character edit in fs/namei.c.
 * Targets: full check <= 1.5x parse-only; edit re-check <= 10 ms.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Analyzer } from '../src/core/engine';
import { nodeWasmSource } from '../src/core/parse/node-wasm';
import { CORPUS } from '../test/helpers/corpus';
import { collectFiles } from '../src/cli/files';
import { median } from './stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);

async function main(): Promise<void> {
  const only = process.argv[2];
  const analyzer = await Analyzer.create(nodeWasmSource());
  const list = collectFiles([CORPUS]).files.filter((f) => !only || f.includes(only));
  const texts = list.map((f) => readFileSync(f, 'utf8'));
  // Warm up the JIT and the parser.
  for (let i = 0; i < Math.min(list.length, 10); i++) analyzer.check(list[i], texts[i]);
  let totalParse = 0;
  let totalCheck = 0;
  let totalBytes = 0;
  console.log(`file                                             KB  parse ms  check ms  ratio`);
  for (let i = 0; i < list.length; i++) {
    const parse: number[] = [];
    const check: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      let t = performance.now();
      const tree = analyzer.parser.parse(texts[i]);
      parse.push(performance.now() - t);
      tree.delete();
      t = performance.now();
      analyzer.check(list[i], texts[i]);
      check.push(performance.now() - t);
    }
    const p = median(parse);
    const c = median(check);
    totalParse += p;
    totalCheck += c;
    totalBytes += texts[i].length;
    console.log(
      `${relative(CORPUS, list[i]).padEnd(46)} ${(texts[i].length / 1024).toFixed(0).padStart(4)} ${p.toFixed(1).padStart(9)} ${c.toFixed(1).padStart(9)} ${(c / p).toFixed(2).padStart(6)}`,
    );
  }
  console.log(
    `TOTAL ${list.length} files, ${(totalBytes / 1048576).toFixed(2)} MB: parse-only ${totalParse.toFixed(0)} ms, full check ${totalCheck.toFixed(0)} ms, ratio ${(totalCheck / totalParse).toFixed(2)} (target <= 1.5)`,
  );

  // Edit re-check on fs/namei.c: type one character inside a function body, re-check incrementally.
  const namei = join(CORPUS, 'v7.1.5/fs/namei.c');
  const text = readFileSync(namei, 'utf8');
  const doc = analyzer.open(namei, text);
  doc.result();
  const at = text.indexOf('int vfs_unlink(');
  const bodyPos = text.indexOf('{', at) + 1;
  const times: number[] = [];
  for (let r = 0; r < 41; r++) {
    const ins = r % 2 === 0;
    const t = performance.now();
    if (ins) doc.edit(bodyPos, bodyPos, ' ');
    else doc.edit(bodyPos, bodyPos + 1, '');
    const res = doc.result();
    times.push(performance.now() - t);
    if (res.error) throw new Error(res.error);
  }
  doc.dispose();
  console.log(
    `edit re-check fs/namei.c (v7.1.5, ${(text.length / 1024).toFixed(0)} KB): median ${median(times.slice(1)).toFixed(1)} ms over ${times.length - 1} edits (target <= 10 ms)`,
  );
  const mem = process.memoryUsage();
  console.log(`memory: rss ${(mem.rss / 1048576).toFixed(0)} MiB, heap ${(mem.heapUsed / 1048576).toFixed(0)} MiB`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
