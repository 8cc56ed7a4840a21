/**
 * `npm run bench:memory`: memory across edit/re-check cycles of fs/namei.c (v7.1.5) through the extension's
 * incremental path (`Document.edit` + `Document.result`). Each cycle removes the `try_break_deleg(target, …)` statement
 * of vfs_unlink and re-checks, then puts it back and re-checks. Prints RSS, heap and external memory after a warm-up
 * and after 1,000, 5,000 and 10,000 cycles (CYCLES overrides the total), with the median re-check time of each stretch.
 * "wasm" is tree-sitter's linear memory, which never shrinks: syntax trees not deleted would make it grow. RSS moves
 * by some tens of MiB between readings (pages V8 and malloc keep or return); a leak is a steady rise, not that.
 * Run with --expose-gc (as package.json does) so heap figures are measured after a full collection.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Analyzer } from '../src/core/engine';
import { nodeWasmSource } from '../src/core/parse/node-wasm';
import { CORPUS } from '../test/helpers/corpus';
import { median } from './stats';

const CYCLES = Number(process.env.CYCLES ?? 10000);
const WARMUP = 100;
const STATEMENT = 'error = try_break_deleg(target, delegated_inode);\n\t\t\tif (error)\n\t\t\t\tgoto out;\n\t\t\t';

const gc = (globalThis as { gc?: () => void }).gc;

// Record the WebAssembly.Memory web-tree-sitter creates (its size is not otherwise visible); before the parser loads.
type WasmMemory = { buffer: ArrayBuffer };
const wasmNs = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => WasmMemory } }).WebAssembly;
const memories: WasmMemory[] = [];
const OrigMemory = wasmNs.Memory;
wasmNs.Memory = class extends OrigMemory {
  constructor(d: object) {
    super(d);
    memories.push(this);
  }
};
const mib = (n: number) => (n / 1048576).toFixed(1).padStart(7);

function report(label: string, times: number[]): void {
  gc?.();
  const m = process.memoryUsage();
  const wasm = memories.reduce((n, x) => n + x.buffer.byteLength, 0);
  console.log(
    `${label.padEnd(18)} rss ${mib(m.rss)} MiB  heap ${mib(m.heapUsed)} MiB  external ${mib(m.external)} MiB  wasm ${mib(wasm)} MiB  re-check median ${median(times).toFixed(2)} ms (${times.length})`,
  );
}

async function main(): Promise<void> {
  const file = join(CORPUS, 'v7.1.5/fs/namei.c');
  if (!existsSync(file)) {
    console.log(`memory bench skipped: ${file} not found`);
    return;
  }
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(STATEMENT, text.indexOf('int vfs_unlink('));
  if (at < 0) throw new Error('vfs_unlink statement not found in namei.c');
  const analyzer = await Analyzer.create(nodeWasmSource());
  const doc = analyzer.open(file, text);
  doc.result();
  let times: number[] = [];
  const analysed = new Set<number>();
  const cycle = (): void => {
    for (const removing of [true, false]) {
      const t = performance.now();
      if (removing) doc.edit(at, at + STATEMENT.length, '');
      else doc.edit(at, at, STATEMENT);
      const r = doc.result();
      times.push(performance.now() - t);
      if (r.error) throw new Error(r.error);
      analysed.add(r.analyzedFunctions);
    }
  };
  console.log(
    `memory: ${CYCLES} edit/re-check cycles (2 edits + 2 re-checks each) on fs/namei.c v7.1.5${gc ? '' : ' (no --expose-gc: heap figures include garbage)'}`,
  );
  for (let i = 0; i < WARMUP; i++) cycle();
  report(`after warm-up ${WARMUP}`, times);
  times = [];
  const marks = new Set([1000, 5000, 10000, CYCLES].filter((n) => n <= CYCLES));
  for (let i = 1; i <= CYCLES; i++) {
    cycle();
    if (marks.has(i)) {
      report(`after ${i}`, times);
      times = [];
    }
  }
  if (doc.source !== text) throw new Error('text differs after the cycles');
  console.log(
    `functions re-analysed per re-check: ${[...analysed].sort((a, b) => a - b).join(', ')} (of ${doc.result().functions.length})`,
  );
  doc.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
