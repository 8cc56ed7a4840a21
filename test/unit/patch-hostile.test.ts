/**
 * Hostile patches (issue 12): what a mailing-list patch or an untrusted series can put in front of `vfslock review`
 * and the editor's patch review. Every input is made here, on the fly; the ones that used to hang or take seconds
 * run in a worker with a time limit (helpers/bounded.ts), so a regression fails instead of hanging the run.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT, sharedAnalyzer } from '../helpers/corpus';
import { runBounded } from '../helpers/bounded';
import { parseDiff, splitLines, DiffParseError, MAX_LINE_NUMBER } from '../../src/patch/diff';
import { applyPatch, ApplyError, SEARCH_BUDGET } from '../../src/patch/apply';
import { readPatchInput, PatchInputError } from '../../src/patch/mbox';
import { MemoryTree } from '../../src/patch/tree';
import { DirectoryTree } from '../../src/patch/node-tree';
import { reviewSeries } from '../../src/patch/review';
import { toReviewJson, toReviewText } from '../../src/patch/printers';
import { escapeForTerminal } from '../../src/core/text/escape';

const TASKS = require.resolve('../helpers/patch-tasks');
const CLI = join(PROJECT_ROOT, 'dist', 'cli.js');
const FOUR = 'a\nb\nc\nd\n';

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const hasGit = spawnSync('git', ['--version']).status === 0;

function git(cwd: string, args: string[]) {
  return spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  });
}

/** A tree on disk: files by path (a directory is made for each parent). */
function writeTree(root: string, files: Record<string, string>): void {
  for (const [p, t] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), t);
  }
}

const parse = (text: string, strip = 1) => parseDiff(splitLines(text), { strip });

describe('hunk header line numbers (item 1)', () => {
  test('absurd line numbers are refused at once: 2000000000, 99999999999, 400 digits, 2^31', async () => {
    const cases: [string, RegExp][] = [
      // Within what a header may say, but past the end of the 4-line file: refused, not "applied at offset -1999999999".
      [
        '2000000000',
        /^x\.c: hunk #1 \(@@ -2000000000,2 \+2000000000,2 @@\) does not apply: it starts at line 2000000000, but x\.c has 4 line\(s\)$/,
      ],
      [String(MAX_LINE_NUMBER), /does not apply: it starts at line 2147483647, but x\.c has 4 line\(s\)$/],
      [
        String(MAX_LINE_NUMBER + 1),
        /^x\.c: hunk #1 header '@@ -2147483648,2 \+2147483648,2 @@' has a line number or count above 2147483647$/,
      ],
      ['99999999999', /has a line number or count above 2147483647$/],
      ['9'.repeat(400), /^x\.c: hunk #1 header '@@ -9{96}…' has a line number or count above 2147483647$/],
    ];
    for (const [n, expected] of cases) {
      const diff = `--- a/x.c\n+++ b/x.c\n@@ -${n},2 +${n},2 @@\n a\n-b\n+B\n`;
      // Before the fix: 17 s for 2000000000, more than 100 s for 99999999999, never ending for 400 digits.
      const r = await runBounded<unknown>(5000, TASKS, 'applyDiff', diff, FOUR);
      assert.ok(r.error, `${n.slice(0, 20)}: refused`);
      assert.match(r.error.message, expected);
      assert.ok(r.ms < 1000, `${n.slice(0, 20)}: ${r.ms} ms`);
    }
  });

  test('a hunk is searched for within the file only: found at an offset inside it, refused past its end', async () => {
    // The header says line 3, the lines are at line 1: found by searching the file.
    const near = await runBounded<{ offsets: unknown }>(
      5000,
      TASKS,
      'applyDiff',
      '--- a/x.c\n+++ b/x.c\n@@ -3,2 +3,2 @@\n a\n-b\n+B\n',
      FOUR,
    );
    assert.deepEqual(near.value?.offsets, [{ hunk: 1, by: -2 }]);
    // A 200,000-line generated file with its one distinct line near the top, the header 150,000 lines further.
    const lines = 200000;
    const far = `--- a/g.c\n+++ b/g.c\n@@ -150000,1 +150000,1 @@\n-unique\n+changed\n`;
    const big = await runBounded<{ offsets: { by: number }[] }>(
      10000,
      TASKS,
      'applyToRepeated',
      far,
      'x',
      lines,
      10,
      'unique',
    );
    assert.equal(big.error, undefined, big.error?.message);
    assert.deepEqual(big.value?.offsets, [{ hunk: 1, by: -149990 }]);
    const here = await runBounded<{ offsets: { by: number }[] }>(
      10000,
      TASKS,
      'applyToRepeated',
      far.replace('unique', 'x'),
      'x',
      lines,
    );
    assert.deepEqual(here.value?.offsets, [], 'every line is x: it applies where the header says');
    // Past the end of the file, by one line: refused.
    const past = await runBounded<unknown>(
      5000,
      TASKS,
      'applyDiff',
      '--- a/x.c\n+++ b/x.c\n@@ -5,1 +5,1 @@\n-d\n+D\n',
      FOUR,
    );
    assert.match(past.error!.message, /it starts at line 5, but x\.c has 4 line\(s\)$/);
    // An insertion after the last line is not past the end.
    const append = await runBounded<{ text: string }>(
      5000,
      TASKS,
      'applyDiff',
      '--- a/x.c\n+++ b/x.c\n@@ -4,0 +5,1 @@\n+e\n',
      FOUR,
    );
    assert.equal(append.value?.text, FOUR + 'e\n');
  });

  test('the search has a budget: a hunk that matches nowhere in a large file of equal lines stops with a message', async () => {
    // 1,000 context lines equal to every line of a 200,000-line file, then a line found nowhere: each of the
    // 200,000 positions compares 1,001 lines (2 x 10^8 comparisons) without the budget.
    const ctx = ' x\n'.repeat(1000);
    const diff = `--- a/g.c\n+++ b/g.c\n@@ -100000,1001 +100000,1001 @@\n${ctx}-y\n+z\n`;
    const r = await runBounded<unknown>(10000, TASKS, 'applyToRepeated', diff, 'x', 200000);
    assert.equal(r.error?.name, 'ApplyError');
    assert.match(
      r.error!.message,
      new RegExp(
        `^g\\.c: hunk #1 \\(@@ -100000,1001 \\+100000,1001 @@\\) does not apply: the search for its lines was stopped after ${SEARCH_BUDGET} line comparisons`,
      ),
    );
  });
});

describe('diff --git header split (item 8)', () => {
  test('a 1 MB header line of spaces, words or paths is split in linear time', async () => {
    const mb = 1 << 20;
    const shapes = {
      spaces: ' '.repeat(mb),
      words: 'a '.repeat(mb / 2),
      paths: 'a/' + 'y '.repeat(mb / 2),
    };
    for (const [shape, rest] of Object.entries(shapes)) {
      // Before the fix a 200 KB line of spaces took 24 s (quadratic: 1 MB would take about ten minutes).
      const diff = `diff --git ${rest}\n--- a/f.c\n+++ b/f.c\n@@ -1 +1 @@\n-x\n+y\n`;
      const r = await runBounded<{ newPath: string }[]>(5000, TASKS, 'parseNames', diff);
      assert.equal(r.error, undefined, `${shape}: ${r.error?.message}`);
      assert.deepEqual(
        r.value!.map((f) => f.newPath),
        ['f.c'],
        shape,
      );
    }
  });

  test('names with spaces are found where the two halves agree, also in a 1 MB header (mode change only)', async () => {
    const name = 'd/' + 'p q '.repeat(1 << 18) + 'f.c';
    const diff = `diff --git a/${name} b/${name}\nold mode 100644\nnew mode 100755\n`;
    const r = await runBounded<{ op: string; oldPath: string; newPath: string }[]>(5000, TASKS, 'parseNames', diff);
    assert.equal(r.error, undefined, r.error?.message);
    assert.deepEqual(r.value, [{ op: 'modify', oldPath: name, newPath: name }]);
    for (const [line, path] of [
      ['a/x y.c b/x y.c', 'x y.c'],
      ['a/x b/x', 'x'],
      ['a/a b/c b/a b/c', 'a b/c'],
      ['a/b a/b b/b a/b', 'b a/b'],
    ]) {
      assert.deepEqual(
        parse(`diff --git ${line}\nold mode 100644\nnew mode 100755\n`).map((f) => [f.oldPath, f.newPath]),
        [[path, path]],
        line,
      );
    }
  });
});

describe('no file content in errors; no symbolic link out of the tree (item 3)', () => {
  const SECRET = 'url = https://ci-bot:hunter2-secret-token@git.example.org/linux.git';
  let dir = '';
  let tree = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vfslock-hostile-'));
    tree = join(dir, 'tree');
    const outside = join(dir, 'outside');
    writeTree(tree, {
      'creds.txt': `[remote "origin"]\n\t${SECRET}\n`,
      'real.c': 'int a;\nint b;\n',
      '.git/config': `[core]\n\t${SECRET}\n`,
    });
    writeTree(outside, { 'secret.c': `/* ${SECRET} */\nint s;\n`, 'dir/x.c': `/* ${SECRET} */\n` });
    symlinkSync(join(outside, 'secret.c'), join(tree, 'leak.c'));
    symlinkSync(join(outside, 'dir'), join(tree, 'ext'));
    symlinkSync('real.c', join(tree, 'alias.c'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a hunk that does not apply names the line that differs, never what the file holds', async () => {
    const files = parse(
      `--- a/creds.txt\n+++ b/creds.txt\n@@ -1,2 +1,2 @@\n [remote "origin"]\n-\turl = guess\n+\turl = mine\n`,
    );
    await assert.rejects(applyPatch(new DirectoryTree(tree), files), (e: unknown) => {
      assert.ok(e instanceof ApplyError);
      assert.match(
        e.message,
        /^creds\.txt: hunk #1 \(@@ -1,2 \+1,2 @@\) does not apply: patch failed: creds\.txt:2: that line differs from what patch line 5 expects, and the hunk matches nowhere else in the file$/,
      );
      assert.doesNotMatch(e.message, /hunter2/);
      return true;
    });
  });

  test('vfslock review: text, JSON and SARIF carry no line of the file a failing hunk aims at', () => {
    const patch = join(dir, 'probe.patch');
    writeFileSync(
      patch,
      `--- a/creds.txt\n+++ b/creds.txt\n@@ -1,2 +1,2 @@\n [remote "origin"]\n-\turl = guess\n+\turl = mine\n`,
    );
    for (const format of ['text', 'json', 'sarif']) {
      const r = cli(['review', '--format', format, '--tree', tree, patch]);
      assert.equal(r.code, 2, r.err);
      assert.doesNotMatch(r.out + r.err, /hunter2/, format);
      assert.match(r.out, /patch failed: creds\.txt:2/, format);
    }
  });

  test('a patch aimed at .git/config is refused as git apply refuses it', async () => {
    const text = `diff --git a/.git/config b/.git/config\n--- a/.git/config\n+++ b/.git/config\n@@ -1,2 +1,2 @@\n [core]\n-\tx\n+\ty\n`;
    await assert.rejects(
      readPatchInput(text, 'p.patch'),
      (e: unknown) =>
        e instanceof PatchInputError &&
        /^file name 'a\/\.git\/config' is inside a \.git directory, which git apply refuses to touch$/.test(
          e.message,
        ) &&
        e.line === 2,
    );
    for (const variant of ['.GIT/config', 'sub/.Git/hooks/pre-commit']) {
      assert.throws(
        () => parse(`--- a/${variant}\n+++ b/${variant}\n@@ -1 +1 @@\n-a\n+b\n`),
        /inside a \.git directory/,
      );
    }
  });

  test('symbolic links are followed only inside the tree: a link to a file or directory outside is refused', async () => {
    const dt = new DirectoryTree(tree);
    assert.equal(await dt.read('alias.c'), 'int a;\nint b;\n', 'a link to a file of the tree is read');
    for (const [path, first] of [
      ['leak.c', `/* ${SECRET} */`],
      ['ext/x.c', `/* ${SECRET} */`],
    ]) {
      // Even with the right context (an author who knows the file), nothing outside the tree is read or shown.
      const files = parse(`--- a/${path}\n+++ b/${path}\n@@ -1 +1 @@\n-${first}\n+/* mine */\n`);
      await assert.rejects(applyPatch(dt, files), (e: unknown) => {
        assert.ok(e instanceof ApplyError);
        assert.equal(
          e.message,
          `${path}: not read: it is a symbolic link (or lies under one) that leads outside ${dt.root}`,
        );
        return true;
      });
      const patch = join(dir, 'link.patch');
      writeFileSync(patch, `--- a/${path}\n+++ b/${path}\n@@ -1 +1 @@\n-${first}\n+/* mine */\n`);
      const r = cli(['review', '--format', 'json', '--tree', tree, patch]);
      assert.equal(r.code, 2, r.err);
      assert.doesNotMatch(r.out + r.err, /hunter2/);
      assert.match(JSON.parse(r.out).patches[0].error, /leads outside/);
    }
  });

  test(
    'a FIFO in the tree is refused, not waited on',
    { skip: spawnSync('mkfifo', ['--version']).status !== 0 && 'no mkfifo' },
    () => {
      const fifo = join(tree, 'pipe.c');
      assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
      try {
        // In a process the test can kill: reading the FIFO used to block for ever (a blocked read would also keep
        // this test process alive).
        const patch = join(dir, 'fifo.patch');
        writeFileSync(patch, '--- a/pipe.c\n+++ b/pipe.c\n@@ -1 +1 @@\n-a\n+b\n');
        const r = spawnSync(process.execPath, [CLI, 'review', '--tree', tree, patch], {
          encoding: 'utf8',
          timeout: 20000,
        });
        assert.equal(r.status, 2, `killed after 20 s: ${r.signal}`);
        assert.match(r.stdout, /pipe\.c: not a regular file \(a FIFO/);
      } finally {
        rmSync(fifo);
      }
    },
  );

  test('a tree file larger than the analyzer accepts is refused before it is read', async () => {
    const big = join(tree, 'big.c');
    // Sparse: 64 MB reported, nothing written; the size is checked before any byte is read.
    writeFileSync(big, '');
    truncateSync(big, 64 * 1024 * 1024);
    try {
      await assert.rejects(
        new DirectoryTree(tree).read('big.c'),
        (e: unknown) => e instanceof Error && /^big\.c: file is too large \(64 MB; the limit is 4 MB\)/.test(e.message),
      );
    } finally {
      rmSync(big);
    }
  });
});

describe('headers git apply refuses (item 9)', () => {
  test('a NUL byte in a file name is a clear error, also through the CLI (no stack trace)', async () => {
    for (const header of ['--- a/x\0.c\n+++ b/x\0.c', '--- "a/x\\000.c"\n+++ "b/x\\000.c"']) {
      await assert.rejects(
        readPatchInput(`${header}\n@@ -1 +1 @@\n-a\n+b\n`, 'nul.patch'),
        (e: unknown) =>
          e instanceof PatchInputError &&
          /^file name 'a\/x\\x00\.c' contains a NUL byte: not a usable path$/.test(e.message) &&
          !e.message.includes('\0') &&
          e.line === 1,
      );
    }
    const dir = mkdtempSync(join(tmpdir(), 'vfslock-nul-'));
    try {
      writeFileSync(join(dir, 'nul.patch'), '--- "a/x\\000.c"\n+++ "b/x\\000.c"\n@@ -1 +1 @@\n-a\n+b\n');
      const r = cli(['review', '--tree', dir, join(dir, 'nul.patch')]);
      assert.equal(r.code, 2);
      assert.equal(
        r.err,
        `vfslock review: ${join(dir, 'nul.patch')}:1: file name 'a/x\\x00.c' contains a NUL byte: not a usable path\n`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a file name that is not UTF-8 is reported as such, not as a missing file', async () => {
    // git's quoting of the Latin-1 name "f\xe9.c", and the same bytes read as UTF-8 from an unquoted name.
    for (const name of ['"a/f\\351.c"', 'a/f\uFFFD.c']) {
      const other = name.replace('a/', 'b/');
      await assert.rejects(
        readPatchInput(`--- ${name}\n+++ ${other}\n@@ -1 +1 @@\n-a\n+b\n`, 'latin1.patch'),
        /contains U\+FFFD, which stands for bytes that are not UTF-8: file names that are not UTF-8 are not supported$/,
      );
    }
    // UTF-8 quoted by git still works.
    assert.deepEqual(
      parse('--- "a/f\\303\\251.c"\n+++ "b/f\\303\\251.c"\n@@ -1 +1 @@\n-a\n+b\n').map((f) => f.newPath),
      ['fé.c'],
    );
    assert.throws(() => parse('--- "a/f\\9.c"\n+++ "b/f.c"\n@@ -1 +1 @@\n-a\n+b\n'), /has a bad escape '\\9'/);
  });

  test(
    'paths are read as git apply reads them, and refused where it refuses them (checked against git itself)',
    { skip: !hasGit && 'git not available' },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'vfslock-gitpaths-'));
      try {
        writeTree(dir, { 'x.c': FOUR, 'etc/passwd': 'root\n', passwd: 'root\n' });
        assert.equal(git(dir, ['init', '-q']).status, 0);
        const hunk = '@@ -1 +1 @@\n-root\n+toor\n';
        const cases: { name: string; patch: string; strip?: number; ours: RegExp | string }[] = [
          {
            name: '/etc/passwd with -p1 is etc/passwd (git and GNU patch)',
            patch: `--- /etc/passwd\n+++ /etc/passwd\n${hunk}`,
            ours: 'etc/passwd',
          },
          {
            name: '/etc/passwd with -p0 is absolute',
            patch: `--- /etc/passwd\n+++ /etc/passwd\n${hunk}`,
            strip: 0,
            ours: /is an absolute path: only paths inside the tree are accepted/,
          },
          {
            name: 'a//etc/passwd',
            patch: `diff --git a//etc/passwd b//etc/passwd\n--- a//etc/passwd\n+++ b//etc/passwd\n${hunk}`,
            ours: /'a\/\/etc\/passwd' is an absolute path even with 1 leading component\(s\) stripped/,
          },
          {
            name: 'rename to an absolute path',
            patch: 'diff --git a/x.c b/y.c\nsimilarity index 100%\nrename from x.c\nrename to /tmp/y.c\n',
            ours: /'\/tmp\/y\.c' is an absolute path: only paths/,
          },
          {
            name: 'a .git component',
            patch: `diff --git a/.git/config b/.git/config\n--- a/.git/config\n+++ b/.git/config\n${hunk}`,
            ours: /inside a \.git directory/,
          },
          {
            name: 'a . component',
            patch: `diff --git a/./x.c b/./x.c\n--- a/./x.c\n+++ b/./x.c\n@@ -1 +1 @@\n-a\n+A\n`,
            ours: /has a '\.' component/,
          },
        ];
        for (const c of cases) {
          writeFileSync(join(dir, 'p.diff'), c.patch);
          const g = git(dir, ['apply', '--check', '-v', `-p${c.strip ?? 1}`, 'p.diff']);
          let ours: string;
          try {
            const files = parse(c.patch, c.strip ?? 1);
            await applyPatch(new DirectoryTree(dir), files);
            ours = files[0].newPath!;
          } catch (e) {
            assert.ok(e instanceof DiffParseError, `${c.name}: ${(e as Error).stack}`);
            ours = e.message;
          }
          if (typeof c.ours === 'string') {
            assert.equal(g.status, 0, `${c.name}: git accepts it: ${g.stderr}`);
            assert.match(g.stdout + g.stderr, new RegExp(`Checking patch ${c.ours}\\.\\.\\.`), c.name);
            assert.equal(ours, c.ours, c.name);
          } else {
            assert.notEqual(g.status, 0, `${c.name}: git refuses it`);
            assert.match(g.stderr, /invalid path|No valid patches/, `${c.name}: ${g.stderr}`);
            assert.match(ours, c.ours, c.name);
          }
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  test('.. and too few components to strip are refused', () => {
    assert.throws(() => parse('--- a/../etc/x\n+++ b/../etc/x\n@@ -1 +1 @@\n-a\n+b\n'), /leaves the tree/);
    assert.throws(
      () => parse('--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n', 3),
      /file name 'a\/x\.c' has fewer than 3 leading component\(s\) to strip \(-p3\)$/,
    );
    // rename from/to strip one component less than -p, as git does.
    assert.deepEqual(
      parse('diff --git a/k/x.c b/k/y.c\nsimilarity index 100%\nrename from k/x.c\nrename to k/y.c\n', 2).map((f) => [
        f.op,
        f.oldPath,
        f.newPath,
      ]),
      [['rename', 'x.c', 'y.c']],
    );
  });

  test('diff --git naming two files without a rename or copy header is refused (it would copy)', async () => {
    const implicit = 'diff --git a/x.c b/y.c\n--- a/x.c\n+++ b/y.c\n@@ -1,2 +1,2 @@\n a\n-b\n+B\n';
    assert.throws(
      () => parse(implicit),
      (e: unknown) =>
        e instanceof DiffParseError &&
        e.message ===
          "git diff names two files, 'x.c' before and 'y.c' after, without a rename or copy header: refused rather than read as a copy" &&
        e.patchLine === 1,
    );
    const renamed = implicit.replace('--- a/x.c', 'similarity index 50%\nrename from x.c\nrename to y.c\n--- a/x.c');
    const changes = await applyPatch(new MemoryTree(new Map([['x.c', FOUR]])), parse(renamed));
    assert.deepEqual(
      changes.map((c) => [c.op, c.oldPath, c.newPath, c.after]),
      [['rename', 'x.c', 'y.c', 'a\nB\nc\nd\n']],
    );
  });

  test('a non-empty range starting at line 0 is malformed; an empty one (a new file) is not', () => {
    assert.throws(
      () => parse('--- a/x.c\n+++ b/x.c\n@@ -0,1 +0,1 @@\n-a\n+A\n'),
      /has a non-empty old range starting at line 0 \(lines are numbered from 1\)$/,
    );
    assert.throws(
      () => parse('--- a/x.c\n+++ b/x.c\n@@ -1,1 +0,1 @@\n-a\n+A\n'),
      /has a non-empty new range starting at line 0/,
    );
    assert.equal(parse('--- /dev/null\n+++ b/x.c\n@@ -0,0 +1 @@\n+a\n')[0].op, 'add');
  });

  test('a new file, rename or copy over an existing directory does not apply', async () => {
    const add = (p: string) =>
      parse(`diff --git a/${p} b/${p}\nnew file mode 100644\n--- /dev/null\n+++ b/${p}\n@@ -0,0 +1 @@\n+x\n`);
    await assert.rejects(
      applyPatch(new MemoryTree(new Map([['sub/in.c', 'z\n']])), add('sub')),
      /^Error: sub: already exists in <memory> as a directory$/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'vfslock-dir-'));
    try {
      writeTree(dir, { 'sub/in.c': 'z\n', 'x.c': FOUR });
      const dt = new DirectoryTree(dir);
      await assert.rejects(
        applyPatch(dt, add('sub')),
        (e: unknown) => e instanceof ApplyError && e.message === `sub: already exists in ${dt.root} as a directory`,
      );
      await assert.rejects(
        applyPatch(dt, parse('diff --git a/x.c b/sub\nsimilarity index 100%\nrename from x.c\nrename to sub\n')),
        /sub: already exists in .* as a directory/,
      );
      await assert.rejects(
        applyPatch(dt, parse('--- a/sub\n+++ b/sub\n@@ -1 +1 @@\n-a\n+b\n')),
        /^Error: sub: it is a directory in .*, not a file$/,
      );
      // One patch adding sub/a.c and then sub as a file: the second sees the first's directory.
      await assert.rejects(
        applyPatch(new MemoryTree(new Map()), [...add('d/a.c'), ...add('d')]),
        /d: already exists in <memory> as a directory/,
      );
      assert.equal((await applyPatch(dt, add('new.c')))[0].after, 'x\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('review text output shows patch-supplied text escaped (item 6)', () => {
  /** Characters that must never reach a terminal raw (tab and the printer's own newlines excepted). */
  const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/;
  /** A line a GCC-style problem matcher (CI annotations, editors) would take for a finding. */
  const FINDING_LINE = /^[^\s:][^:]*:\d+:\d+: (error|warning|note):/;
  const FORGED = 'fs/namei.c:1:1: error: all clear, nothing to see [deleg/missing-break]';

  /** git's C quoting of a file name (every byte that is not printable ASCII as octal). */
  function gitQuote(name: string): string {
    let out = '"';
    for (const b of new TextEncoder().encode(name)) {
      if (b === 0x22 || b === 0x5c) out += '\\' + String.fromCharCode(b);
      else if (b < 0x20 || b >= 0x7f) out += '\\' + b.toString(8).padStart(3, '0');
      else out += String.fromCharCode(b);
    }
    return out + '"';
  }

  test('subject (RFC 2047), file name and quoted lines cannot forge a finding line or recolour the terminal; JSON keeps them', async () => {
    const subject = `[PATCH] vfs: fix\u001b]0;pwned\u0007 \u202eevil\u2066 \u001b[1A\u001b[2Kall clear`;
    const encoded = `=?UTF-8?B?${Buffer.from(subject).toString('base64')}?=`;
    const name = `fs/evil\n${FORGED}\r\u001b[2K\u202e.c`;
    const body = [
      'int f(struct dentry *dentry, struct iattr *attr)',
      '{',
      '\tstruct inode *inode = d_inode(dentry);',
      '\tint error;',
      '\tinode_lock(inode);',
      '\terror = simple_setattr(&nop_mnt_idmap, dentry, attr); /* \u001b[8m\rhidden\n */',
      '\tinode_unlock(inode);',
      '\treturn error;',
      '}',
    ].flatMap((l) => l.split('\n'));
    const qa = gitQuote('a/' + name);
    const qb = gitQuote('b/' + name);
    const mail = [
      'From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001',
      'From: Someone <s@example.org>',
      `Subject: ${encoded}`,
      'Date: Sun, 1 Sep 2013 12:00:00 +0000',
      '',
      'Body.',
      '---',
      `diff --git ${qa} ${qb}`,
      'new file mode 100644',
      '--- /dev/null',
      `+++ ${qb}`,
      `@@ -0,0 +1,${body.length} @@`,
      ...body.map((l) => '+' + l),
      '',
    ].join('\n');
    const input = await readPatchInput(mail, 'hostile.mbox');
    assert.equal(input.patches[0].subject, subject, 'RFC 2047 decoded');
    assert.equal(input.patches[0].files[0].newPath, name);
    const analyzer = await sharedAnalyzer();
    const review = await reviewSeries(analyzer, new MemoryTree(new Map()), input.patches);
    assert.ok(review.patches[0].introduced.length > 0, 'the hostile file has a finding to print');
    const text = toReviewText(review, { color: true });
    const plain = text.replace(/\u001b\[(1|1;31|1;35|1;36|1;32|0)m/g, '');
    assert.ok(!RAW.test(plain), JSON.stringify(plain));
    // The only GCC-shaped lines are the related notes, and they start with the real (escaped) file name.
    assert.ok(
      !text
        .split('\n')
        .some(
          (l) => (FINDING_LINE.test(l) && !l.startsWith(escapeForTerminal(name) + ':5:2: ')) || l.startsWith(FORGED),
        ),
      text,
    );
    assert.equal(text.split('\n').filter((l) => FINDING_LINE.test(l)).length, 1, text);
    assert.ok(text.includes('vfs: fix\\x1b]0;pwned\\x07 \\u{202E}evil\\u{2066} \\x1b[1A\\x1b[2Kall clear'), text);
    assert.ok(text.includes(`FILE: fs/evil\\n${FORGED}\\r\\x1b[2K\\u{202E}.c:`), text);
    // The quoted source line keeps its tab and shows the rest escaped.
    assert.ok(
      text.split('\n').includes('+\terror = simple_setattr(&nop_mnt_idmap, dentry, attr); /* \\x1b[8m\\rhidden'),
      text,
    );
    // JSON is valid and exact.
    const json = JSON.parse(toReviewJson(review));
    assert.equal(json.patches[0].subject, subject);
    assert.equal(json.patches[0].introduced[0].file, name);
  });

  test('errors from the patch reader on stderr are one escaped line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vfslock-err-'));
    try {
      // A malformed line inside a hunk is quoted in the error: with an ESC sequence and a bidi override in it.
      writeFileSync(join(dir, 'bad.patch'), '--- a/x.c\n+++ b/x.c\n@@ -1,2 +1,2 @@\n a\n?\u001b[2J\u202e\n');
      const r = cli(['review', '--tree', dir, join(dir, 'bad.patch')]);
      assert.equal(r.code, 2);
      assert.equal(
        r.err,
        `vfslock review: ${join(dir, 'bad.patch')}:5: x.c: hunk #1 (@@ -1,2 +1,2 @@) is malformed at patch line 5: 1 old and 1 new line(s) were still expected, found '?\\x1b[2J\\u{202E}'\n`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
