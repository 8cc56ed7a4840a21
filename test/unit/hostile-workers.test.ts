/**
 * `vfslock check --jobs N` (issue 12, item 9): a worker thread that runs out of memory costs only the file it was
 * checking; a new thread takes over, and the other files keep their results.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkInPool } from '../../src/cli/pool';
import { buggySetattr } from '../helpers/buggy';

const BUGGY = buggySetattr('buggy');

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vfslock-workers-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test(
  '--jobs: a worker thread that runs out of memory costs only its file; the others keep their results',
  { timeout: 120000 },
  async () => {
    const d = dir;
    const files = ['a.c', 'heavy.c', 'b.c', 'c.c'].map((f) => join(d, f));
    for (const f of files) writeFileSync(f, BUGGY);
    // Hundreds of relevant functions, analysed without a time budget: more than the 48 MB heap the test gives a thread.
    writeFileSync(files[1], Array.from({ length: 3000 }, (_, i) => BUGGY.replace('buggy', `heavy_${i}`)).join('\n'));
    const out = await checkInPool(files, 2, { analysisBudgetMs: 0 }, [], false, { maxOldGenerationSizeMb: 48 });
    assert.deepEqual(
      out.map((o) => ('result' in o ? o.result.findings.map((f) => f.ruleId).join() : o.error)),
      [
        'deleg/missing-break',
        'not checked: the worker thread checking it ran out of memory (a new thread checked the files after it)',
        'deleg/missing-break',
        'deleg/missing-break',
      ],
    );
  },
);
