/**
 * Patch review on series built at test time from ../shared/kernel-corpus: real `git format-patch` files and mboxes
 * of edits to real kernel files, applied in memory against a scratch copy of the corpus tree (under os.tmpdir()).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Analyzer } from '../../src/core/engine';
import { corpusAvailable, corpusFile, sharedAnalyzer } from '../helpers/corpus';
import { Mutator } from '../helpers/mutate';
import { functionRange, makeSeries, transplant, type Series, type Step } from '../helpers/patch-series';
import { readPatchInput } from '../../src/patch/mbox';
import { DirectoryTree } from '../../src/patch/node-tree';
import { reviewSeries, type PatchReview, type SeriesReview } from '../../src/patch/review';

const skip = !corpusAvailable() && 'kernel corpus not available';
let analyzer: Analyzer;
const series: Series[] = [];

before(async () => {
  analyzer = await sharedAnalyzer();
});
after(() => series.forEach((s) => s.cleanup()));

function build(base: Record<string, string>, steps: Step[], opts: { cover?: boolean } = {}): Series {
  const s = makeSeries(base, steps, opts);
  series.push(s);
  return s;
}

async function review(
  s: Series,
  inputs: string[] = s.patches,
  opts: { follow?: boolean; kernel?: string } = {},
): Promise<SeriesReview> {
  const mails = [];
  const skipped = [];
  for (const f of inputs) {
    const input = await readPatchInput(readFileSync(f, 'utf8'), f);
    mails.push(...input.patches);
    skipped.push(...input.skipped);
  }
  return reviewSeries(analyzer, new DirectoryTree(s.tree), mails, opts, skipped);
}

const keys = (list: PatchReview['introduced']) => list.map((f) => `${f.finding.ruleId} ${f.finding.function}`).sort();

/** Edits one function of a corpus file through the syntax tree (see helpers/mutate.ts). */
function mutate(text: string, fn: string, edit: (m: Mutator) => void): string {
  const m = new Mutator(analyzer, text, fn);
  edit(m);
  return m.result();
}

/** The break's call becomes `0`: `error = 0; if (error) goto out;` never breaks anything. */
const removeBreak = (m: Mutator) => {
  const c = m.calls('try_break_deleg')[0];
  m.replace(c.start, c.end, '0');
};

describe('a series that removes a delegation break and then restores it (v6.12 fs/namei.c)', { skip }, () => {
  let s: Series;
  let r: SeriesReview;
  before(async () => {
    const base = corpusFile('v6.12/fs/namei.c');
    const broken = mutate(base, 'vfs_unlink', removeBreak);
    s = build(
      { 'fs/namei.c': base },
      [
        {
          subject: 'vfs: drop the delegation break from vfs_unlink',
          body: 'It looked redundant.',
          files: { 'fs/namei.c': broken },
        },
        {
          subject: 'vfs: restore the delegation break in vfs_unlink',
          body: 'Fixes: the previous patch.',
          files: { 'fs/namei.c': base },
        },
      ],
      { cover: true },
    );
    r = await review(s, [s.mbox]);
  });

  test('the mbox cover letter is skipped, the two patches are reviewed in order', () => {
    assert.equal(r.skipped.length, 1);
    assert.match(r.skipped[0].subject, /\[PATCH 0\/2\]/);
    assert.equal(r.skipped[0].reason, 'cover letter');
    assert.deepEqual(
      r.patches.map((p) => p.subject),
      [
        '[PATCH 1/2] vfs: drop the delegation break from vfs_unlink',
        '[PATCH 2/2] vfs: restore the delegation break in vfs_unlink',
      ],
    );
    assert.ok(r.patches.every((p) => p.applied && p.checked));
  });

  test('patch 1 introduces the missing break in vfs_unlink and touches only vfs_unlink', () => {
    const p = r.patches[0];
    assert.deepEqual(p.functions, ['vfs_unlink']);
    assert.deepEqual(p.files, ['fs/namei.c']);
    assert.deepEqual(keys(p.introduced), ['deleg/missing-break vfs_unlink']);
    assert.deepEqual(p.fixed, []);
    const f = p.introduced[0];
    assert.equal(f.finding.severity, 'error');
    assert.equal(f.file, 'fs/namei.c');
    // Shown on the patch: the ->unlink call is a context line right after the removed lines.
    const patchLines = readFileSync(s.mbox, 'utf8').split('\n');
    assert.ok(f.patchLine !== undefined);
    assert.equal(patchLines[f.patchLine! - 1], ' ' + f.sourceLine);
    assert.match(f.sourceLine, /->unlink\(dir, dentry\)/);
  });

  test('patch 2 fixes it, and nothing else changes', () => {
    const p = r.patches[1];
    assert.deepEqual(keys(p.fixed), ['deleg/missing-break vfs_unlink']);
    assert.deepEqual(p.introduced, []);
    assert.deepEqual(p.remaining, []);
    assert.equal(p.fixed[0].side, 'before');
  });

  test('the format-patch files give the same result as the mbox', async () => {
    const r2 = await review(s);
    assert.deepEqual(
      r2.patches.map((p) => [keys(p.introduced), keys(p.fixed)]),
      r.patches.map((p) => [keys(p.introduced), keys(p.fixed)]),
    );
  });
});

describe('a patch that moves the break outside the lock (v6.12 vfs_link)', { skip }, () => {
  test('introduces deleg/break-unlocked in vfs_link, on the added line', async () => {
    const base = corpusFile('v6.12/fs/namei.c');
    const moved = mutate(base, 'vfs_link', (m) => {
      const c = m.calls('try_break_deleg')[0];
      const lock = m.calls('inode_lock')[0];
      // `error = try_break_deleg(inode, delegated_inode);` now comes before inode_lock(inode).
      m.insert(lock.stmtStart, `error = ${c.text};\n\tif (error)\n\t\treturn error;\n\t`).replace(c.start, c.end, '0');
    });
    const s = build({ 'fs/namei.c': base }, [
      { subject: 'vfs: break the delegation before locking in vfs_link', files: { 'fs/namei.c': moved } },
    ]);
    const r = await review(s);
    const p = r.patches[0];
    assert.deepEqual(p.functions, ['vfs_link']);
    assert.ok(keys(p.introduced).includes('deleg/break-unlocked vfs_link'), JSON.stringify(keys(p.introduced)));
    const f = p.introduced.find((x) => x.finding.ruleId === 'deleg/break-unlocked')!;
    assert.equal(f.patchLineKind, '+');
    assert.equal(f.exact, true);
    assert.match(f.sourceLine, /try_break_deleg\(inode, delegated_inode\)/);
  });
});

describe('a series whose second patch does not apply', { skip }, () => {
  test('the error names the file and the hunk; later patches are not checked', async () => {
    const base = corpusFile('v6.12/fs/namei.c');
    const one = mutate(base, 'vfs_unlink', removeBreak);
    const two = mutate(one, 'vfs_link', (m) => {
      const c = m.calls('try_break_deleg')[0];
      m.replace(c.start, c.end, '0');
    });
    const three = mutate(two, 'vfs_rename', (m) => {
      const c = m.calls('try_break_deleg')[0];
      m.replace(c.start, c.end, '0');
    });
    const s = build({ 'fs/namei.c': base }, [
      { subject: 'vfs: one', files: { 'fs/namei.c': one } },
      { subject: 'vfs: two', files: { 'fs/namei.c': two } },
      { subject: 'vfs: three', files: { 'fs/namei.c': three } },
    ]);
    // Patch 2 was made against a tree where vfs_link reads differently: change one of its context lines.
    const p2 = readFileSync(s.patches[1], 'utf8');
    const lines = p2.split('\n');
    const hunk = lines.findIndex((l) => l.startsWith('@@'));
    const ctx = lines.findIndex((l, i) => i > hunk && l.startsWith(' ') && l.trim().length > 3);
    lines[ctx] = ' ' + lines[ctx].slice(1).replace(/\S+/, 'changed_upstream');
    writeFileSync(s.patches[1], lines.join('\n'));
    const r = await review(s);
    assert.equal(r.patches[0].applied, true);
    assert.deepEqual(keys(r.patches[0].introduced), ['deleg/missing-break vfs_unlink']);
    const bad = r.patches[1];
    assert.equal(bad.applied, false);
    assert.equal(bad.checked, true);
    const failed =
      /^fs\/namei\.c: hunk #1 \(@@ -\d+,\d+ \+\d+,\d+ @@.*\) does not apply: patch failed: fs\/namei\.c:(\d+): that line differs from what patch line (\d+) expects/.exec(
        bad.error!,
      );
    assert.ok(failed, bad.error);
    assert.equal(+failed[2], ctx + 1, 'the patch line named is the edited context line');
    assert.equal(bad.errorLine, hunk + 1);
    assert.equal(r.patches[2].checked, false);
    assert.equal(r.patches[2].applied, false);
    assert.equal(r.patches[2].error, 'not checked: patch 2 did not apply');
  });
});

describe('the 2013 series (Linux 3.13) reconstructed on v3.10.99 fs/namei.c', { skip }, () => {
  let r: SeriesReview;
  before(async () => {
    const v310 = corpusFile('v3.10.99/fs/namei.c');
    const v313 = corpusFile('v3.13/fs/namei.c');
    // Each patch gives the functions it changed their 3.13 form (taken from the corpus at test time).
    const unlink = transplant(analyzer, v310, v313, ['vfs_unlink', 'do_unlinkat']);
    const rename = transplant(analyzer, unlink, v313, ['vfs_rename_other', 'vfs_rename', 'sys_renameat']);
    const link = transplant(analyzer, rename, v313, ['vfs_link', 'sys_linkat']);
    const s = build(
      { 'fs/namei.c': v310 },
      [
        { subject: 'locks: break delegations on unlink', files: { 'fs/namei.c': unlink } },
        {
          subject: 'locks: break delegations on rename',
          body: 'Also lock the source, so no delegation can be granted during the rename (vfs: take i_mutex on renamed file).',
          files: { 'fs/namei.c': rename },
        },
        { subject: 'locks: break delegations on link', files: { 'fs/namei.c': link } },
      ],
      { cover: true },
    );
    r = await review(s, [s.mbox]);
  });

  test('the 3.10 missing-break findings are reported as fixed, each by its patch', () => {
    assert.deepEqual(
      r.patches.map((p) => p.applied),
      [true, true, true],
    );
    assert.ok(
      keys(r.patches[0].fixed).includes('deleg/missing-break vfs_unlink'),
      JSON.stringify(keys(r.patches[0].fixed)),
    );
    const renameFixed = keys(r.patches[1].fixed);
    assert.ok(renameFixed.includes('deleg/missing-break vfs_rename_other'), JSON.stringify(renameFixed));
    assert.ok(renameFixed.includes('deleg/missing-break vfs_rename'), JSON.stringify(renameFixed));
    assert.ok(
      keys(r.patches[2].fixed).includes('deleg/missing-break vfs_link'),
      JSON.stringify(keys(r.patches[2].fixed)),
    );
  });

  test('every missing-break the corpus expects in v3.10.99 namei.c is fixed by the series', () => {
    const run = JSON.parse(corpusFile('expectations.json')).runs.find((x: { files: string[] }) =>
      x.files.includes('v3.10.99/fs/namei.c'),
    );
    const fixed = r.patches.flatMap((p) => p.fixed).map((f) => `${f.finding.ruleId} ${f.finding.function}`);
    for (const [rule, fns] of run.mustFlag as [string, string][]) {
      if (!['vfs_unlink', 'vfs_link', 'vfs_rename_other|vfs_rename'].includes(fns)) continue;
      assert.ok(
        fns.split('|').some((fn) => fixed.includes(`${rule} ${fn}`)),
        `${rule} ${fns} not fixed: ${JSON.stringify(fixed)}`,
      );
    }
  });

  test('the series introduces no error: the callers wait and retry', () => {
    const errors = r.patches.flatMap((p) => p.introduced).filter((f) => f.finding.severity === 'error');
    assert.deepEqual(
      errors.map((f) => `${f.finding.ruleId} ${f.finding.function}: ${f.finding.message}`),
      [],
    );
  });

  test('touched functions are named per patch', () => {
    assert.deepEqual([...r.patches[0].functions].sort(), ['do_unlinkat', 'vfs_unlink']);
    assert.ok(r.patches[1].functions.includes('vfs_rename_other'));
    assert.ok(r.patches[2].functions.includes('sys_linkat'));
  });
});

describe('line shifts, new, deleted and renamed files (v6.12 tree)', { skip }, () => {
  let r: SeriesReview;
  before(async () => {
    const namei = corpusFile('v6.12/fs/namei.c');
    const utimes = corpusFile('v6.12/fs/utimes.c');
    const base = { 'fs/namei.c': namei, 'fs/utimes.c': utimes, 'fs/attr.c': corpusFile('v6.12/fs/attr.c') };
    // A new file holding a copy of vfs_unlink without its break (found structurally in the corpus text).
    const broken = mutate(namei, 'vfs_unlink', removeBreak);
    const { start, end } = functionRange(analyzer, broken, 'vfs_unlink');
    const helper = `// SPDX-License-Identifier: GPL-2.0\n#include <linux/fs.h>\n\n${broken.slice(start, end).replace('int vfs_unlink(', 'int vfs_unlink_fast(')}\n`;
    const shifted = `/*\n${' * A long comment that moves every line of the file.\n'.repeat(40)} */\n${namei}`;
    r = await review(
      build(base, [
        { subject: 'fs: add vfs_unlink_fast', files: { 'fs/unlink_fast.c': helper } },
        {
          subject: 'fs: move utimes.c to utime.c',
          renames: [['fs/utimes.c', 'fs/utime.c']],
          files: { 'fs/utime.c': utimes.replace('/*\n * Note: the', '/*\n * NOTE: the') },
        },
        { subject: 'vfs: a long comment at the top of namei.c', files: { 'fs/namei.c': shifted } },
        { subject: 'fs: remove vfs_unlink_fast again', files: { 'fs/unlink_fast.c': null } },
      ]),
    );
  });

  test('a new file: its findings are introduced', () => {
    const p = r.patches[0];
    assert.deepEqual(p.files, ['fs/unlink_fast.c']);
    assert.deepEqual(p.functions, ['vfs_unlink_fast']);
    assert.deepEqual(keys(p.introduced), ['deleg/missing-break vfs_unlink_fast']);
    assert.equal(p.introduced[0].patchLineKind, '+');
  });

  test('a rename with an edit: reviewed as one file, nothing introduced or fixed', () => {
    const p = r.patches[1];
    assert.equal(p.applied, true, p.error);
    assert.deepEqual(p.files, ['fs/utimes.c => fs/utime.c']);
    assert.deepEqual(p.introduced, []);
    assert.deepEqual(p.fixed, []);
  });

  test('lines shifted by a hundred: findings are matched by rule, function and inode', () => {
    const p = r.patches[2];
    assert.deepEqual(p.introduced, []);
    assert.deepEqual(p.fixed, []);
    assert.deepEqual(p.functions, []);
  });

  test('a deleted file: its findings are fixed', () => {
    const p = r.patches[3];
    assert.deepEqual(p.files, ['fs/unlink_fast.c']);
    assert.deepEqual(keys(p.fixed), ['deleg/missing-break vfs_unlink_fast']);
    assert.equal(p.fixed[0].patchLineKind, '-');
  });
});

describe('contracts followed into other files of the tree', { skip }, () => {
  let s: Series;
  const HELPERS = `// SPDX-License-Identifier: GPL-2.0
#include <linux/fs.h>

void lock_victim(struct inode *inode)
{
	inode_lock(inode);
}

void unlock_victim(struct inode *inode)
{
	inode_unlock(inode);
}
`;
  before(() => {
    const namei = corpusFile('v6.12/fs/namei.c');
    // vfs_unlink takes the victim's lock through helpers defined in another file.
    const viaHelpers = mutate(namei, 'vfs_unlink', (m) => {
      const lock = m.calls('inode_lock')[0];
      const unlock = m.calls('inode_unlock')[0];
      m.replace(lock.start, lock.end, lock.text.replace('inode_lock', 'lock_victim'));
      m.replace(unlock.start, unlock.end, unlock.text.replace('inode_unlock', 'unlock_victim'));
    });
    s = build({ 'fs/namei.c': namei }, [
      { subject: 'fs: lock the victim through helpers', files: { 'fs/victim.c': HELPERS, 'fs/namei.c': viaHelpers } },
      {
        subject: 'fs: lock_victim no longer locks',
        files: { 'fs/victim.c': HELPERS.replace('\tinode_lock(inode);\n', '\tihold(inode);\n') },
      },
    ]);
  });

  test("callees: the helper's lock is seen in vfs_unlink, so moving to helpers introduces nothing", async () => {
    const r = await review(s);
    const p = r.patches[0];
    assert.deepEqual([...p.functions].sort(), ['lock_victim', 'unlock_victim', 'vfs_unlink']);
    assert.deepEqual(
      p.introduced.filter((f) => f.finding.severity === 'error').map((f) => f.finding.message),
      [],
    );
  });

  test('callers: a helper that stops locking makes vfs_unlink break unlocked, reported in fs/namei.c via lock_victim', async () => {
    const r = await review(s);
    const p = r.patches[1];
    assert.deepEqual(p.files, ['fs/victim.c']);
    assert.deepEqual(p.functions, ['lock_victim']);
    assert.equal(p.contracts.length, 1);
    assert.equal(p.contracts[0].function, 'lock_victim');
    assert.match(p.contracts[0].changes.join(), /no longer returns holding the inode lock of inode/);
    assert.deepEqual(p.contracts[0].callers, ['fs/namei.c']);
    const intro = p.introduced.filter((f) => f.file === 'fs/namei.c');
    assert.ok(intro.length > 0, 'something is introduced in the caller');
    assert.ok(
      intro.every((f) => f.finding.function === 'vfs_unlink' && f.via?.includes('lock_victim')),
      JSON.stringify(intro.map((f) => [f.finding.ruleId, f.finding.function, f.via])),
    );
    assert.ok(
      intro.some((f) => f.finding.ruleId === 'deleg/break-unlocked'),
      JSON.stringify(keys(intro)),
    );
  });

  test('without following, the same patch looks harmless', async () => {
    const r = await review(s, s.patches, { follow: false });
    assert.deepEqual(r.patches[1].introduced, []);
    assert.deepEqual(r.patches[1].contracts, []);
  });
});
