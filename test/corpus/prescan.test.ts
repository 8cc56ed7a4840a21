/**
 * The pre-scan shortcut on real kernel code (../shared/kernel-corpus, read in place): for every .c file of the corpus
 * and a sample of the mutant sweep's mutants (bench/mutants.ts; the full sweep is `npm run bench:prescan`), a check
 * that parses only the functions that can matter reports exactly what a check parsing every function reports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { collectFiles } from '../../src/cli/files';
import { corpusMutants } from '../../bench/mutants';
import { CORPUS, corpusAvailable, sharedAnalyzer } from '../helpers/corpus';
import { bothWays } from '../helpers/prescan';

const available = corpusAvailable();
const skip = !available ? 'no ../shared/kernel-corpus' : false;

test('prescan: every corpus file, same findings with and without the pre-scan', { skip }, async () => {
  const analyzer = await sharedAnalyzer();
  const files = collectFiles([CORPUS]).files.filter((f) => f.endsWith('.c'));
  assert.ok(files.length >= 80, `${files.length} corpus .c files`);
  const modes = new Map<string, number>();
  for (const file of files) {
    const rel = relative(CORPUS, file);
    const text = readFileSync(file, 'utf8');
    for (const options of [{}, { kernel: '6.19' }]) {
      const { pre, full, mode } = bothWays(analyzer, rel, text, options);
      assert.deepEqual(pre, full, `${rel} ${JSON.stringify(options)}`);
      modes.set(mode, (modes.get(mode) ?? 0) + 1);
    }
  }
  // The shortcut was taken: most files were parsed in part.
  assert.ok((modes.get('partial') ?? 0) > files.length, JSON.stringify([...modes]));
});

test('prescan: a sample of the mutant sweep, same findings with and without the pre-scan', { skip }, async () => {
  const analyzer = await sharedAnalyzer();
  const files = [
    'v6.19/fs/namei.c',
    'v3.13/fs/namei.c',
    'v6.12/fs/open.c',
    'v5.15.135/fs/xattr.c',
    'v7.1.5/fs/attr.c',
    'v6.19/fs/locks.c',
  ];
  let n = 0;
  for (const rel of files) {
    const text = readFileSync(`${CORPUS}/${rel}`, 'utf8');
    const mutants = corpusMutants(analyzer, rel, text);
    // Every 25th mutant (deterministic): the operators and functions spread over the file.
    for (let i = 0; i < mutants.length; i += 25) {
      let mutated: string;
      try {
        mutated = mutants[i].make();
      } catch {
        continue; // overlapping edits: the operator does not apply here
      }
      const { pre, full } = bothWays(analyzer, rel, mutated);
      assert.deepEqual(pre, full, `${rel} ${mutants[i].fn}: ${mutants[i].op}`);
      n++;
    }
  }
  assert.ok(n >= 20, `${n} mutants compared`);
});
