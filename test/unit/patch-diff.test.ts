/**
 * Reading patches (unified diffs, git extended headers, mail, mbox) and applying them in memory, on diffs that
 * git and jsdiff make at test time from real kernel files.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createTwoFilesPatch, parsePatch } from 'diff';
import { corpusAvailable, corpusFile } from '../helpers/corpus';
import { git, gitDiff } from '../helpers/patch-series';
import { parseDiff, splitLines, DiffParseError, type FilePatch } from '../../src/patch/diff';
import { applyHunks, applyPatch, ApplyError } from '../../src/patch/apply';
import { MemoryTree } from '../../src/patch/tree';
import { readPatchInput, parseSubject, PatchInputError } from '../../src/patch/mbox';
import { unifiedDiff } from '../../src/patch/synthesize';

const skip = !corpusAvailable() && 'kernel corpus not available';
const parse = (text: string, strip = 1) => parseDiff(splitLines(text), { strip });

/** Replaces the first line equal to `from` (tests only: fixture edits, not analysis). */
function editLine(text: string, from: string, to: string): string {
  const lines = text.split('\n');
  const i = lines.indexOf(from);
  assert.ok(i >= 0, `no line ${JSON.stringify(from)}`);
  lines[i] = to;
  return lines.join('\n');
}

describe('unified diffs from git diff --no-index', { skip }, () => {
  test('hunks, counts and patch line numbers; applying gives the after text exactly', () => {
    const before = corpusFile('v6.12/fs/attr.c');
    const lines = before.split('\n');
    // Three separate edits: a replaced line, two inserted lines, a removed line.
    lines.splice(100, 1, '\t/* replaced */');
    lines.splice(200, 0, '\t/* one */', '\t/* two */');
    lines.splice(400, 1);
    const afterText = lines.join('\n');
    const diff = gitDiff('fs/attr.c', before, afterText);
    const files = parse(diff);
    assert.equal(files.length, 1);
    const fp = files[0];
    assert.equal(fp.op, 'modify');
    assert.equal(fp.oldPath, 'fs/attr.c');
    assert.equal(fp.newPath, 'fs/attr.c');
    assert.equal(fp.hunks.length, 3);
    const patchLines = diff.split('\n');
    for (const h of fp.hunks) {
      assert.equal(patchLines[h.patchLine - 1], h.header);
      for (const l of h.lines) assert.equal(patchLines[l.patchLine - 1], l.kind + l.text);
      assert.equal(h.lines.filter((l) => l.kind !== '+').length, h.oldCount);
      assert.equal(h.lines.filter((l) => l.kind !== '-').length, h.newCount);
    }
    const r = applyHunks(before, fp);
    assert.equal(r.text, afterText);
    assert.deepEqual(r.offsets, []);
    // The line maps point back at the patch: line 101 of the new text is the replacement line.
    assert.equal(r.newLines.get(101)?.kind, '+');
    assert.equal(patchLines[r.newLines.get(101)!.patchLine - 1], '+\t/* replaced */');
    assert.equal(r.oldLines.get(101)?.kind, '-');
  });

  test('property: any line edits of a kernel file, any context size, round-trip through jsdiff and apply', () => {
    const base = corpusFile('v6.12/fs/utimes.c').split('\n');
    const edit = fc.record({
      at: fc.nat({ max: base.length - 1 }),
      del: fc.nat({ max: 4 }),
      ins: fc.array(fc.constantFrom('', '\tfoo();', '}', '\t\treturn error;', ' \t'), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(
        fc.array(edit, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 6 }),
        fc.boolean(),
        (edits, context, dropEol) => {
          const lines = [...base];
          for (const e of edits) lines.splice(Math.min(e.at, lines.length), e.del, ...e.ins);
          const beforeText = base.join('\n');
          let afterText = lines.join('\n');
          if (dropEol) afterText = afterText.replace(/\n$/, '');
          const diff = createTwoFilesPatch(
            'a/fs/utimes.c',
            'b/fs/utimes.c',
            beforeText,
            afterText,
            undefined,
            undefined,
            { context },
          );
          const files = parse(diff);
          if (beforeText === afterText) return files.length === 0 || files[0].hunks.length === 0;
          assert.equal(applyHunks(beforeText, files[0]).text, afterText);
          // Same hunks as jsdiff's own parser sees.
          const oracle = parsePatch(diff)[0];
          // (jsdiff numbers an empty side from the line after it: `-0,0` reads as oldStart 1.)
          assert.deepEqual(
            files[0].hunks.map((h) => [
              h.oldStart + (h.oldCount ? 0 : 1),
              h.oldCount,
              h.newStart + (h.newCount ? 0 : 1),
              h.newCount,
              h.lines.map((l) => l.kind + l.text),
            ]),
            oracle.hunks.map((h) => [
              h.oldStart,
              h.oldLines,
              h.newStart,
              h.newLines,
              h.lines.filter((l) => !l.startsWith('\\')),
            ]),
          );
          return true;
        },
      ),
      { numRuns: 60 },
    );
  });

  test('a hunk whose lines moved applies at an offset, which is recorded', () => {
    const before = corpusFile('v6.12/fs/utimes.c');
    const afterText = editLine(before, '\tinode_lock(inode);', '\tinode_lock(inode); /* edited */');
    const fp = parse(gitDiff('fs/utimes.c', before, afterText))[0];
    const moved = '/* seven */\n'.repeat(7) + before;
    const r = applyHunks(moved, fp);
    assert.equal(r.text, '/* seven */\n'.repeat(7) + afterText);
    assert.deepEqual(r.offsets, [{ hunk: 1, by: 7 }]);
  });

  test('a hunk whose context differs does not apply: the error names the file, the hunk and the line, not its text', () => {
    const before = corpusFile('v6.12/fs/utimes.c');
    const afterText = editLine(before, '\tinode_lock(inode);', '\tinode_lock(inode); /* edited */');
    const fp = parse(gitDiff('fs/utimes.c', before, afterText))[0];
    const drifted = before.replace('retry_deleg:\n', 'retry_delegation:\n');
    assert.throws(
      () => applyHunks(drifted, fp),
      (e: unknown) => {
        assert.ok(e instanceof ApplyError);
        assert.equal(e.file, 'fs/utimes.c');
        assert.equal(e.hunk, 1);
        const m =
          /^fs\/utimes\.c: hunk #1 \(@@ -\d+,7 \+\d+,7 @@ .*\) does not apply: patch failed: fs\/utimes\.c:(\d+): that line differs from what patch line (\d+) expects, and the hunk matches nowhere else in the file$/.exec(
            e.message,
          );
        assert.ok(m, e.message);
        // The line named is the one that changed, and the patch line is the one expecting the old text.
        assert.equal(drifted.split('\n')[+m[1] - 1], 'retry_delegation:');
        assert.equal(fp.hunks[0].lines.find((l) => l.patchLine === +m[2])?.text, 'retry_deleg:');
        assert.doesNotMatch(e.message, /retry_delegation/, "the file's own line is not quoted");
        return true;
      },
    );
  });

  test('no newline at end of file, added and removed', () => {
    const withEol = 'int a;\nint b;\n';
    const without = 'int a;\nint c;';
    for (const [b, a] of [
      [withEol, without],
      [without, withEol],
    ]) {
      const diff = gitDiff('x.c', b, a);
      assert.match(diff, /\\ No newline at end of file/);
      assert.equal(applyHunks(b, parse(diff)[0]).text, a);
    }
  });

  test('a CRLF patch (a mailer converted it) still applies to an LF file', () => {
    const before = 'int a;\nint b;\nint c;\n';
    const diff = gitDiff('x.c', before, 'int a;\nint B;\nint c;\n').replace(/\n/g, '\r\n');
    assert.equal(applyHunks(before, parse(diff)[0]).text, 'int a;\nint B;\nint c;\n');
  });

  test('malformed input: a hunk cut short, a bad line inside a hunk, a path leaving the tree', () => {
    const diff = gitDiff('x.c', 'a\nb\nc\n', 'a\nB\nc\n');
    const cut = diff.split('\n').slice(0, -3).join('\n');
    assert.throws(
      () => parse(cut),
      (e: unknown) => e instanceof DiffParseError && /hunk #1 .* is cut short/.test(e.message),
    );
    const bad = diff.replace('\n c', '\n*c');
    assert.throws(
      () => parse(bad),
      (e: unknown) =>
        e instanceof DiffParseError &&
        /is malformed at patch line \d+: .* found '\*c'/.test(e.message) &&
        e.patchLine > 0,
    );
    assert.throws(() => parse('--- a/../etc/x\n+++ b/../etc/x\n@@ -1 +1 @@\n-a\n+b\n'), /leaves the tree/);
  });

  test('plain diff -u between two directories (-p1 strips the tree names; the new name wins)', () => {
    const text =
      '--- linux.orig/fs/x.c\t2013-09-01 12:00:00.000000000 +0200\n+++ linux/fs/x.c\t2013-09-02 12:00:00.000000000 +0200\n@@ -1,2 +1,2 @@\n a\n-b\n+B\n';
    const [fp] = parse(text);
    assert.deepEqual([fp.op, fp.oldPath, fp.newPath], ['modify', 'fs/x.c', 'fs/x.c']);
    assert.deepEqual(
      parse(text, 0).map((f) => f.newPath),
      ['linux/fs/x.c'],
    );
  });
});

describe('git extended headers: new, deleted, renamed, copied, mode, binary, quoted names', () => {
  let dir = '';
  let files: FilePatch[] = [];
  let diff = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vfslock-gitdiff-'));
    mkdirSync(join(dir, 'fs'));
    const big = Array.from({ length: 40 }, (_, i) => `int line${i};`).join('\n') + '\n';
    writeFileSync(join(dir, 'fs/keep.c'), big);
    writeFileSync(join(dir, 'fs/move.c'), big.replace('line', 'move'));
    writeFileSync(join(dir, 'fs/edit-move.c'), big.replace('line', 'edit'));
    writeFileSync(join(dir, 'fs/gone.c'), 'int gone;\n');
    writeFileSync(join(dir, 'fs/mode.sh'), 'echo\n');
    writeFileSync(join(dir, 'fs/blob.bin'), Buffer.from([0, 1, 2, 3]));
    git(dir, ['init', '-q']);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'base']);
    git(dir, ['mv', 'fs/move.c', 'fs/moved.c']);
    git(dir, ['mv', 'fs/edit-move.c', 'fs/edited.c']);
    writeFileSync(join(dir, 'fs/edited.c'), big.replace('line', 'edit').replace('int line5;', 'int line5_changed;'));
    writeFileSync(join(dir, 'fs/new file é.c'), 'int fresh;\n');
    writeFileSync(join(dir, 'fs/copy.c'), big);
    rmSync(join(dir, 'fs/gone.c'));
    chmodSync(join(dir, 'fs/mode.sh'), 0o755);
    writeFileSync(join(dir, 'fs/blob.bin'), Buffer.from([0, 1, 2, 4]));
    git(dir, ['add', '-A']);
    diff = git(dir, ['diff', '--cached', '-M', '-C', '--find-copies-harder', 'HEAD']);
    files = parse(diff);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const find = (newPath: string | null, oldPath?: string) =>
    files.find((f) => f.newPath === newPath && (oldPath === undefined || f.oldPath === oldPath))!;

  test('each kind of change is recognised', () => {
    assert.deepEqual(find('fs/moved.c').op, 'rename');
    assert.equal(find('fs/moved.c').oldPath, 'fs/move.c');
    assert.equal(find('fs/moved.c').hunks.length, 0);
    assert.equal(find('fs/edited.c').op, 'rename');
    assert.equal(find('fs/edited.c').hunks.length, 1);
    assert.equal(find('fs/new file é.c').op, 'add');
    assert.equal(find('fs/copy.c').op, 'copy');
    assert.equal(find('fs/copy.c').oldPath, 'fs/keep.c');
    assert.equal(find(null, 'fs/gone.c').op, 'delete');
    assert.deepEqual([find('fs/mode.sh').oldMode, find('fs/mode.sh').newMode], ['100644', '100755']);
    assert.equal(find('fs/blob.bin').binary, true);
  });

  test('the whole patch applies in memory; the tree itself is untouched', async () => {
    const { readFileSync } = await import('node:fs');
    const base = new Map<string, string>();
    for (const p of ['fs/keep.c', 'fs/move.c', 'fs/edit-move.c', 'fs/gone.c', 'fs/mode.sh'])
      base.set(p, git(dir, ['show', `HEAD:${p}`]));
    const tree = new MemoryTree(base);
    const changes = await applyPatch(
      tree,
      files.filter((f) => !f.binary),
    );
    const byNew = new Map(changes.map((c) => [c.newPath, c]));
    assert.equal(byNew.get('fs/edited.c')!.after, readFileSync(join(dir, 'fs/edited.c'), 'utf8'));
    assert.equal(byNew.get('fs/moved.c')!.after, base.get('fs/move.c'));
    assert.equal(byNew.get('fs/new file é.c')!.after, 'int fresh;\n');
    assert.equal(byNew.get('fs/copy.c')!.after, base.get('fs/keep.c'));
    assert.equal(changes.find((c) => c.oldPath === 'fs/gone.c')!.after, null);
    assert.equal(await tree.read('fs/move.c'), base.get('fs/move.c'));
  });

  test('a rename of a missing file, or a new file that already exists, does not apply', async () => {
    await assert.rejects(
      applyPatch(new MemoryTree(new Map()), [find('fs/moved.c')]),
      /fs\/move\.c: cannot rename it: no such file in <memory>/,
    );
    await assert.rejects(
      applyPatch(new MemoryTree(new Map([['fs/new file é.c', 'x\n']])), [find('fs/new file é.c')]),
      /fs\/new file é\.c: already exists in <memory>/,
    );
  });
});

describe('mail and mbox input', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vfslock-mbox-'));
    writeFileSync(join(dir, 'x.c'), 'int a;\nint b;\n');
    git(dir, ['init', '-q']);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'base']);
    for (const [i, msg] of ['vfs: first', 'vfs: second'].entries()) {
      writeFileSync(join(dir, 'x.c'), `int a;\nint b${i};\n`);
      git(dir, [
        'commit',
        '-q',
        '-am',
        `${msg}\n\nFrom the department of redundancy.\nSigned-off-by: Jörg Tester <j@example.org>`,
      ]);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a format-patch mbox with a cover letter: the cover letter is skipped, patches in number order', async () => {
    const mbox = git(dir, [
      '-c',
      'user.name=Jörg Tester',
      '-c',
      'user.email=j@example.org',
      'format-patch',
      '--cover-letter',
      '--subject-prefix=RFC PATCH v2',
      '--stdout',
      'HEAD~2',
    ]);
    // Reverse the two patches: a mailbox can hold them in arrival order.
    const parts = mbox.split(/(?=^From [0-9a-f]{40} )/m);
    const shuffled = [parts[0], parts[2], parts[1]].join('');
    const input = await readPatchInput(shuffled, 'series.mbox');
    assert.equal(input.skipped.length, 1);
    assert.equal(input.skipped[0].reason, 'cover letter');
    assert.deepEqual(
      input.patches.map((p) => [p.tags.number, p.tags.total, p.tags.version, p.tags.rfc, p.title]),
      [
        [1, 2, 2, true, 'vfs: first'],
        [2, 2, 2, true, 'vfs: second'],
      ],
    );
    assert.match(input.patches[0].from!, /^Test Author|^Jörg Tester/);
    assert.match(input.patches[0].message, /From the department of redundancy/);
    // Line numbers point into the mbox: the hunk header is where the mbox has it.
    const lines = shuffled.split('\n');
    const h = input.patches[1].files[0].hunks[0];
    assert.equal(lines[h.patchLine - 1], h.header);
  });

  test('mboxrd escaping, replies, encoded subjects and quoted-printable bodies', async () => {
    const patch = git(dir, ['format-patch', '--stdout', '-1']);
    const escaped = patch.replace('From the department', '>From the department');
    const reply = patch.replace(/^Subject: \[PATCH\]/m, 'Subject: Re: [PATCH]');
    const encoded = patch.replace(
      /^Subject: \[PATCH\] vfs: second$/m,
      'Subject: =?UTF-8?q?=5BPATCH=5D_vfs=3A_s=C3=A9cond?=',
    );
    const qp = patch
      .replace('Content-Transfer-Encoding: 8bit', 'Content-Transfer-Encoding: quoted-printable')
      .replace('+int b1;', '+int b=3D1;');
    const input = await readPatchInput([escaped, reply, encoded, qp].join('\n'), 'mixed.mbox');
    assert.equal(input.patches.length, 3);
    assert.match(input.patches[0].message, /^vfs: second|From the department/m);
    assert.ok(input.patches[0].message.includes('From the department'));
    assert.deepEqual(
      input.skipped.map((s) => s.reason),
      ['a reply, not a patch'],
    );
    assert.equal(input.patches[1].title, 'vfs: sécond');
    assert.equal(input.patches[2].approximateLines, true);
    assert.equal(input.patches[2].files[0].hunks[0].lines.find((l) => l.kind === '+')!.text, 'int b=1;');
  });

  test('git log -p output is a series too; a bare diff is one patch named after its file', async () => {
    const log = git(dir, ['log', '-p', '--reverse', 'HEAD~2..HEAD']);
    const input = await readPatchInput(log, 'log.txt');
    assert.deepEqual(
      input.patches.map((p) => p.subject),
      ['vfs: first', 'vfs: second'],
    );
    const bare = await readPatchInput(git(dir, ['diff', 'HEAD~1']), 'dir/fix.diff');
    assert.deepEqual(
      bare.patches.map((p) => p.subject),
      ['fix.diff'],
    );
  });

  test('a malformed diff in a mail is reported with its line in the mbox', async () => {
    const patch = git(dir, ['format-patch', '--stdout', '-1']).replace('\n int a;', '\n?int a;');
    await assert.rejects(
      readPatchInput(patch, 'bad.mbox'),
      (e: unknown) => e instanceof PatchInputError && e.source === 'bad.mbox' && e.line > 10,
    );
  });

  test('subject tags', () => {
    assert.deepEqual(parseSubject('[RFC PATCH net-next v3 02/10] nfsd: x').tags, {
      prefix: '[RFC PATCH net-next v3 02/10]',
      number: 2,
      total: 10,
      version: 3,
      rfc: true,
    });
    assert.equal(parseSubject('Re: [PATCH 1/2] y').reply, true);
    assert.equal(parseSubject('[PATCH] [stable 6.1] z').title, 'z');
  });
});

describe('working tree changes as a synthesized diff', () => {
  test('modify, add, delete and rename round-trip through the patch reader and apply', async () => {
    const base = new Map([
      ['fs/a.c', 'int a;\nint b;\n'],
      ['fs/gone.c', 'int g;\n'],
      ['fs/old.c', 'int o;\nint p;\n'],
    ]);
    const text = unifiedDiff([
      { oldPath: 'fs/a.c', newPath: 'fs/a.c', before: 'int a;\nint b;\n', after: 'int a;\nint c;\n' },
      { oldPath: null, newPath: 'fs/new.c', before: null, after: 'int n;\n' },
      { oldPath: 'fs/gone.c', newPath: null, before: 'int g;\n', after: null },
      { oldPath: 'fs/old.c', newPath: 'fs/new-name.c', before: 'int o;\nint p;\n', after: 'int o;\nint q;\n' },
    ]);
    const input = await readPatchInput(text, 'working tree');
    assert.equal(input.patches.length, 1);
    const changes = await applyPatch(new MemoryTree(base), input.patches[0].files);
    assert.deepEqual(
      changes.map((c) => [c.op, c.oldPath, c.newPath, c.after]),
      [
        ['modify', 'fs/a.c', 'fs/a.c', 'int a;\nint c;\n'],
        ['add', null, 'fs/new.c', 'int n;\n'],
        ['delete', 'fs/gone.c', null, null],
        ['rename', 'fs/old.c', 'fs/new-name.c', 'int o;\nint q;\n'],
      ],
    );
  });
});
