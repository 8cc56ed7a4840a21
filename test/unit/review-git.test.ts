/**
 * `vfslock review` with git (issue 13): `--git REV` and `--git A..B` (commits read as blobs, no checkout), `--base`
 * with a patch on stdin, `git format-patch -1 --stdout HEAD | vfslock review --tree . -` in the repository that has
 * the commit, `base-commit:` and `index` lines, callers found with `git grep` in another file, the directory walk's
 * order and limit, `--format reply`, and hostile revisions and blobs. Every repository is made here, in a temporary
 * directory, from small kernel-style snippets written for these tests.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from '../helpers/corpus';
import { GitTree, checkRevision } from '../../src/patch/git';
import { walkMentioning } from '../../src/patch/node-tree';
import { baseCommitLine } from '../../src/patch/git-base';

const CLI = join(PROJECT_ROOT, 'dist', 'cli.js');
const hasGit = spawnSync('git', ['--version']).status === 0;
const skip = !hasGit && 'git is not installed';

const ENV = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Ann Author',
  GIT_AUTHOR_EMAIL: 'ann@example.org',
  GIT_COMMITTER_NAME: 'Ann Author',
  GIT_COMMITTER_EMAIL: 'ann@example.org',
  GIT_AUTHOR_DATE: '2024-03-01T12:00:00Z',
  GIT_COMMITTER_DATE: '2024-03-01T12:00:00Z',
};

function git(cwd: string, args: string[], input?: string): string {
  const r = spawnSync('git', args, { cwd, env: ENV, encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The CLI in a child process, in `cwd`, bounded (a hang fails the test). */
function vfslock(cwd: string, args: string[], input?: string) {
  const r = spawnSync(process.execPath, [CLI, 'review', ...args], {
    cwd,
    env: ENV,
    encoding: 'utf8',
    input,
    timeout: 60000,
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(r.signal, null, `vfslock review ${args.join(' ')} was killed (timeout): ${r.stderr}`);
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function write(root: string, files: Record<string, string>): void {
  for (const [p, t] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), t);
  }
}

// Kernel-style snippets written for these tests.
const UNLINK_OK = `#include <linux/fs.h>

int my_unlink(struct inode *dir, struct dentry *dentry, struct inode **delegated_inode)
{
	struct inode *target = dentry->d_inode;
	int error;

	inode_lock(target);
	error = try_break_deleg(target, delegated_inode);
	if (error)
		goto out;
	error = dir->i_op->unlink(dir, dentry);
out:
	inode_unlock(target);
	return error;
}
`;
const UNLINK_BAD = UNLINK_OK.replace(
  '\terror = try_break_deleg(target, delegated_inode);\n\tif (error)\n\t\tgoto out;\n',
  '',
);
const UNLINK_COMMENTED = UNLINK_OK.replace(
  '\tinode_lock(target);\n',
  '\t/* the target is locked for the whole change */\n\tinode_lock(target);\n',
);

const VICTIM = `#include <linux/fs.h>

void lock_victim(struct inode *inode)
{
	inode_lock(inode);
}

void unlock_victim(struct inode *inode)
{
	inode_unlock(inode);
}
`;
const VICTIM_UNLOCKED = VICTIM.replace('\tinode_lock(inode);\n', '\t/* the caller locks */\n');
const REMOVE = `#include <linux/fs.h>

int remove_name(struct inode *dir, struct dentry *dentry, struct inode **delegated_inode)
{
	struct inode *target = d_inode(dentry);
	int error;

	lock_victim(target);
	error = try_break_deleg(target, delegated_inode);
	if (!error)
		error = dir->i_op->unlink(dir, dentry);
	unlock_victim(target);
	return error;
}
`;

interface Repo {
  dir: string;
  /** Commit ids by name. */
  c: Record<string, string>;
}

let tmp: string;

/**
 * base: fs/unl.c and fs/victim.c, drivers/remove.c (a caller of lock_victim in another directory);
 * bad: drops the break from my_unlink; fix: restores it; victim: lock_victim stops locking; comment: a comment only.
 */
function makeRepo(name: string): Repo {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  git(dir, ['init', '-q', '-b', 'master', '.']);
  const c: Record<string, string> = {};
  const commit = (key: string, files: Record<string, string>, subject: string) => {
    write(dir, files);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', subject]);
    c[key] = git(dir, ['rev-parse', 'HEAD']).trim();
  };
  commit(
    'base',
    { 'fs/unl.c': UNLINK_OK, 'fs/victim.c': VICTIM, 'drivers/remove.c': REMOVE },
    'fs: add my_unlink and lock_victim',
  );
  commit('bad', { 'fs/unl.c': UNLINK_BAD }, 'fs: drop the delegation break from my_unlink');
  commit('fix', { 'fs/unl.c': UNLINK_OK }, 'fs: restore the delegation break in my_unlink');
  commit('victim', { 'fs/victim.c': VICTIM_UNLOCKED }, 'fs: lock_victim no longer locks');
  commit('comment', { 'fs/unl.c': UNLINK_COMMENTED }, 'fs: a comment in my_unlink');
  return { dir, c };
}

let repo: Repo;

before(() => {
  if (skip) return;
  tmp = mkdtempSync(join(tmpdir(), 'vfslock-review-git-'));
  repo = makeRepo('repo');
});
after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('vfslock review --git', { skip }, () => {
  test('--git REV reviews one commit against its parent without a checkout (the work tree is emptied first)', () => {
    const { dir, c } = makeRepo('no-checkout');
    rmSync(join(dir, 'fs'), { recursive: true });
    rmSync(join(dir, 'drivers'), { recursive: true });
    const r = vfslock(dir, ['--format', 'json', '--git', c.bad]);
    assert.equal(r.code, 1, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.patches.length, 1);
    const p = j.patches[0];
    assert.equal(p.subject, 'fs: drop the delegation break from my_unlink');
    assert.deepEqual(p.functions, ['my_unlink']);
    assert.deepEqual(
      p.introduced.map((f: { ruleId: string; file: string }) => [f.ruleId, f.file]),
      [['deleg/missing-break', 'fs/unl.c']],
    );
    assert.match(j.tree, new RegExp(` at ${c.base.slice(0, 12)}$`));
    // --tree names the repository from elsewhere; HEAD~N is a revision like any other.
    const r2 = vfslock(tmp, ['--tree', dir, '--git', 'HEAD~2']);
    assert.equal(r2.code, 0, r2.err);
    assert.match(r2.out, /^fs: restore the delegation break in my_unlink {2}\([0-9a-f]{12}:1\)$/m);
    assert.match(r2.out, /^FIXED: deleg\/missing-break: my_unlink: /m);
  });

  test('--git A..B reviews each commit in order, as git rev-list --reverse A..B', () => {
    const r = vfslock(repo.dir, ['--format', 'json', '--git', `${repo.c.base}..${repo.c.victim}`]);
    assert.equal(r.code, 1, r.err);
    const j = JSON.parse(r.out);
    assert.deepEqual(
      j.patches.map((p: { subject: string }) => p.subject),
      [
        'fs: drop the delegation break from my_unlink',
        'fs: restore the delegation break in my_unlink',
        'fs: lock_victim no longer locks',
      ],
    );
    assert.deepEqual(
      j.patches.map((p: { index: number }) => p.index),
      [1, 2, 3],
    );
    assert.deepEqual(
      j.patches.map((p: { introduced: unknown[]; fixed: unknown[] }) => [p.introduced.length, p.fixed.length]),
      [
        [1, 0],
        [0, 1],
        [2, 0],
      ],
    );
    // An empty range is no patch at all.
    const r2 = vfslock(repo.dir, ['--git', `${repo.c.comment}..${repo.c.comment}`]);
    assert.equal(r2.code, 0, r2.err);
    assert.match(r2.out, /^0 patches/m);
  });

  test('a caller in another directory is found with git grep and re-checked (via the changed function)', async () => {
    const r = vfslock(repo.dir, ['--format', 'json', '--git', repo.c.victim]);
    assert.equal(r.code, 1, r.err);
    const p = JSON.parse(r.out).patches[0];
    assert.deepEqual(
      p.contracts.map((k: { function: string; callers: string[] }) => [k.function, k.callers]),
      [['lock_victim', ['drivers/remove.c']]],
    );
    assert.ok(p.introduced.length >= 1);
    for (const f of p.introduced)
      assert.deepEqual([f.file, f.function, f.via], ['drivers/remove.c', 'remove_name', ['lock_victim']]);
    assert.ok(p.introduced.some((f: { ruleId: string }) => f.ruleId === 'deleg/break-unlocked'));
    // The same search, asked directly: git grep on the commit's tree, whole words only.
    const tree = await GitTree.open(repo.dir, repo.c.victim);
    try {
      assert.deepEqual((await tree.filesMentioning(['lock_victim'])).paths, ['drivers/remove.c', 'fs/victim.c']);
      assert.deepEqual((await tree.filesMentioning(['lock_victim'], { definitions: true })).paths, ['fs/victim.c']);
      assert.deepEqual((await tree.filesMentioning(['lock_vic'])).paths, []);
      assert.equal(
        await tree.read('fs/unl.c'),
        UNLINK_COMMENTED.replace('\t/* the target is locked for the whole change */\n', ''),
      );
      assert.equal(await tree.read('fs/none.c'), null);
      assert.equal(await tree.isDirectory('fs'), true);
    } finally {
      tree.close();
    }
  });
});

describe('git grep through the working tree', { skip }, () => {
  test("files the working tree has unchanged are searched there, the others in the commit: the result is the commit's", async () => {
    const { dir, c } = makeRepo('worktree-search');
    // The working tree (at HEAD) differs from the base commit in fs/unl.c and fs/victim.c; now also uncommitted edits:
    // drivers/remove.c no longer mentions lock_victim, and an untracked file and a new tracked one do.
    write(dir, {
      'drivers/remove.c': REMOVE.replace(/lock_victim/g, 'lock_other'),
      'fs/untracked.c': 'void x(void)\n{\n\tlock_victim(0);\n}\n',
      'fs/added.c': 'void y(void)\n{\n\tlock_victim(0);\n}\n',
    });
    git(dir, ['add', 'fs/added.c']);
    for (const rev of [c.base, c.victim]) {
      const tree = await GitTree.open(dir, rev);
      try {
        assert.deepEqual((await tree.filesMentioning(['lock_victim'])).paths, ['drivers/remove.c', 'fs/victim.c'], rev);
        assert.deepEqual(
          (await tree.filesMentioning(['lock_victim'], { definitions: true })).paths,
          ['fs/victim.c'],
          rev,
        );
      } finally {
        tree.close();
      }
    }
  });
});

describe('vfslock review with a patch and a git base', { skip }, () => {
  test('git format-patch -1 --stdout HEAD | vfslock review --tree . - works in the repository that has the commit', () => {
    const { dir, c } = makeRepo('format-patch');
    git(dir, ['reset', '-q', '--hard', c.bad]);
    const patch = git(dir, ['format-patch', '-1', '--stdout', 'HEAD']);
    const r = vfslock(dir, ['--tree', '.', '-'], patch);
    assert.equal(r.code, 1, r.err + r.out);
    assert.match(r.out, /^ERROR: deleg\/missing-break: my_unlink: /m);
    assert.ok(
      r.out.includes(
        `NOTE: reviewed against ${c.base.slice(0, 12)}, the commit the patch's index lines name (it does not apply to the working tree)`,
      ),
      r.out,
    );
    // A patch that applies to the working tree is reviewed against the working tree, as before.
    write(dir, { 'fs/unl.c': UNLINK_OK });
    const r2 = vfslock(dir, ['--tree', '.', '-'], git(dir, ['diff', '-R']));
    assert.equal(r2.code, 1, r2.err);
    assert.ok(!r2.out.includes('NOTE: reviewed against'), r2.out);
    assert.match(r2.out, new RegExp(`against ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} in \\d+ ms`));
  });

  test('--base REV with the patch on stdin reads the tree of REV', () => {
    const patch = git(repo.dir, ['format-patch', '-1', '--stdout', repo.c.bad]);
    const r = vfslock(repo.dir, ['--base', repo.c.base, '-'], patch);
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /^ERROR: deleg\/missing-break: my_unlink: /m);
    assert.match(r.out, new RegExp(`against .* at ${repo.c.base.slice(0, 12)} in`));
    // The same patch against a base where it does not apply says so.
    const r2 = vfslock(repo.dir, ['--base', repo.c.bad, '-'], patch);
    assert.equal(r2.code, 2);
    assert.match(r2.out, /ERROR: patch does not apply: fs\/unl\.c: hunk #1/);
  });

  test("b4's base-commit: line picks the base when the repository has it; otherwise the working tree is used, and said", () => {
    assert.equal(baseCommitLine(['Subject: x\n\n---\nbase-commit: 0123456789abcdef\n-- \n2.39\n']), '0123456789abcdef');
    assert.equal(baseCommitLine(['+base-commit: 0123456789abcdef\n']), null);
    const { dir, c } = makeRepo('base-commit');
    // The patch names its base (the working tree, at HEAD, has a comment in the hunk's context)...
    const patch = git(dir, ['format-patch', '-1', '--stdout', `--base=${c.base}`, c.bad]);
    assert.match(patch, new RegExp(`^base-commit: ${c.base}$`, 'm'));
    const r = vfslock(dir, ['--tree', '.', '--format', 'json', '-'], patch);
    const j = JSON.parse(r.out);
    assert.equal(j.patches[0].notes[0], `reviewed against ${c.base.slice(0, 12)}, the series' base-commit`);
    assert.match(j.tree, new RegExp(` at ${c.base.slice(0, 12)}$`));
    // ...and a base-commit the repository does not have is said; the index lines find the newest fitting commit.
    const r2 = vfslock(dir, ['--tree', '.', '--format', 'json', '-'], patch.replace(c.base, 'f'.repeat(40)));
    assert.equal(r2.code, 1, r2.err);
    assert.equal(
      JSON.parse(r2.out).patches[0].notes[0],
      `base-commit ${'f'.repeat(40)} is not in the repository; reviewed against ${c.victim.slice(0, 12)}, the commit the patch's index lines name (it does not apply to the working tree)`,
    );
  });

  test('the pre-image blob an index line names is read when no commit has it', () => {
    const { dir } = makeRepo('blob');
    // A version of fs/unl.c that no commit holds, stored as a blob only (as b4 shazam or a fetch can leave it).
    const variant = UNLINK_OK.replace('int error;', 'int error = 0;');
    const id = git(dir, ['hash-object', '-w', '--stdin'], variant).trim();
    const other = mkdtempSync(join(tmp, 'other-'));
    git(other, ['init', '-q', '.']);
    write(other, { 'fs/unl.c': variant });
    git(other, ['add', '-A']);
    git(other, ['commit', '-q', '-m', 'base']);
    write(other, {
      'fs/unl.c': variant.replace(
        '\terror = try_break_deleg(target, delegated_inode);\n\tif (error)\n\t\tgoto out;\n',
        '',
      ),
    });
    git(other, ['commit', '-qam', 'fs: drop the break']);
    const patch = git(other, ['format-patch', '-1', '--stdout', 'HEAD']);
    assert.ok(patch.includes(`index ${id.slice(0, 7)}`), 'format-patch names the same blob');
    const r = vfslock(dir, ['--tree', '.', '-'], patch);
    assert.equal(r.code, 1, r.err + r.out);
    assert.ok(
      r.out.includes(
        "NOTE: fs/unl.c read from the blobs the patch's index lines name (it does not apply to the working tree)",
      ),
      r.out,
    );
    assert.match(r.out, /^ERROR: deleg\/missing-break: my_unlink: /m);
  });
});

describe('searching a tree without git', { skip }, () => {
  test('the walk searches fs/, include/, kernel/, mm/, security/ first, keeps no text, and says where it stopped', async () => {
    const root = mkdtempSync(join(tmp, 'walk-'));
    const filler = '/* ' + 'x'.repeat(60 * 1024) + ' */\n';
    // A-sorted directories that come before fs/ by name, with 2 MB of files that do not mention the name.
    for (let i = 0; i < 32; i++) write(root, { [`arch/a${i}.c`]: filler, [`drivers/d${i}.c`]: filler });
    const caller = (fn: string) => `int ${fn}(void)\n{\n\treturn my_helper();\n}\n`;
    write(root, {
      'drivers/zz.c': caller('f'),
      'fs/caller.c': caller('g'),
      'include/linux/h.h': 'int my_helper(void);\n',
      'mm/m.c': 'int my_helper_x(void);\n',
    });
    const r = await walkMentioning(root, ['my_helper'], 1024 * 1024);
    assert.deepEqual(r.paths, ['fs/caller.c', 'include/linux/h.h']);
    assert.equal(r.truncated, true);
    assert.match(r.searched!, /^\d+ C files \(fs\/, include\/, mm\/ first\), stopping after 1 MB$/);
    const all = await walkMentioning(root, ['my_helper'], 64 * 1024 * 1024);
    assert.deepEqual([all.paths, all.truncated], [['drivers/zz.c', 'fs/caller.c', 'include/linux/h.h'], false]);
    assert.deepEqual((await walkMentioning(root, ['my_helper'], 64 * 1024 * 1024, { definitions: true })).paths, [
      'include/linux/h.h',
    ]);
  });
});

describe('vfslock review --format reply', { skip }, () => {
  const mailOf = (patch: string, headers: string) => patch.replace(/^(From: .*)$/m, `$1\n${headers}`);

  test('a reply per patch with findings: headers from the Message-ID, the hunk quoted down to the finding, one sentence and a fix', () => {
    const patch = mailOf(
      git(repo.dir, ['format-patch', '-1', '--stdout', repo.c.bad]),
      'To: Vee Eff Ess <vfs@example.org>\nCc: Lee Nux <lkml@example.org>\nMessage-ID: <20240301.1@example.org>\nReferences: <cover.0@example.org>',
    );
    const r = vfslock(repo.dir, ['--base', repo.c.base, '--format', 'reply', '-'], patch);
    assert.equal(r.code, 1, r.err);
    const [head, body] = [r.out.slice(0, r.out.indexOf('\n\n')), r.out.slice(r.out.indexOf('\n\n') + 2)];
    const h = head.split('\n');
    assert.equal(h[0], 'From vfslock-review Mon Sep 17 00:00:00 2001');
    assert.ok(h.includes('To: Ann Author <ann@example.org>'), head);
    assert.ok(h.includes('Subject: Re: [PATCH] fs: drop the delegation break from my_unlink'), head);
    assert.ok(h.includes('In-Reply-To: <20240301.1@example.org>'), head);
    assert.match(head, /^References: <cover\.0@example\.org>\n\t<20240301\.1@example\.org>$/m);
    assert.match(head, /^Cc: Vee Eff Ess <vfs@example\.org>,\n\tLee Nux <lkml@example\.org>$/m);
    const lines = body.split('\n');
    assert.match(lines[0], /^On .*2024.*, Ann Author <ann@example\.org> wrote:$/);
    assert.equal(lines[1], '> diff --git a/fs/unl.c b/fs/unl.c');
    assert.match(lines[2], /^> @@ -\d+,\d+ \+\d+,\d+ @@/);
    const lastQuote = lines.findIndex((l, i) => i > 2 && !l.startsWith('>'));
    // Quoted down to the finding's line (the ->unlink call, a context line), and no further.
    assert.equal(lines[lastQuote - 1], '>  \terror = dir->i_op->unlink(dir, dentry);');
    assert.ok(lines.slice(1, lastQuote).includes('> -\terror = try_break_deleg(target, delegated_inode);'));
    assert.equal(lines[lastQuote], '');
    // The finding in one sentence, then a one-line fix hint (wrapped at 72 columns), then the rest trimmed.
    const para = lines.slice(lastQuote + 1, lines.indexOf('', lastQuote + 1));
    const fix = para.findIndex((l) => l.startsWith('Fix: '));
    const sentence = para.slice(0, fix).join(' ');
    assert.equal(sentence, "my_unlink: ->unlink removes a name of target without first breaking target's delegation.");
    assert.equal(sentence.split(/[.!?](\s|$)/).filter((s) => s.trim()).length, 1);
    assert.match(
      para.slice(fix).join(' '),
      /^Fix: with target's i_rwsem held, call try_break_deleg\(target, delegated_inode\) before the change and return its error\.$/,
    );
    assert.ok(para.every((l) => l.length <= 72));
    assert.equal(lines[lines.indexOf('', lastQuote + 1) + 1], '[...]');
  });

  test('nothing for a clean patch; a caller finding elsewhere is named after the quotes', () => {
    const clean = vfslock(repo.dir, ['--git', repo.c.comment, '--format', 'reply']);
    assert.equal(clean.code, 0, clean.err);
    assert.equal(clean.out, '');
    const r = vfslock(repo.dir, ['--git', `${repo.c.fix}..${repo.c.victim}`, '--format', 'reply']);
    assert.equal(r.code, 1);
    assert.equal(r.out.split('\n').filter((l) => l.startsWith('From vfslock-review ')).length, 1);
    assert.ok(!r.out.includes('In-Reply-To:'), 'a commit has no Message-ID to answer');
    assert.match(
      r.out.replace(/\n(?!\n)/g, ' '),
      /In drivers\/remove\.c:9 \(remove_name\(\), which calls lock_victim\(\)\): remove_name: try_break_deleg\(target\) is called/,
    );
  });

  test('a sender name that decodes to several lines cannot add a header to the reply', () => {
    const evil = Buffer.from('Eve\r\nBcc: victim@example.org\r\n', 'utf8').toString('base64');
    const patch = git(repo.dir, ['format-patch', '-1', '--stdout', repo.c.bad]).replace(
      /^From: .*$/m,
      `From: =?UTF-8?B?${evil}?= <eve@example.org>`,
    );
    const r = vfslock(repo.dir, ['--base', repo.c.base, '--format', 'reply', '-'], patch);
    assert.equal(r.code, 1, r.err);
    const head = r.out.slice(0, r.out.indexOf('\n\n'));
    assert.ok(!/^Bcc:/im.test(r.out), r.out);
    assert.match(head, /^To: Eve\\r\\nBcc: victim@example\.org <eve@example\.org>$/m);
  });
});

describe('hostile revisions and blobs', { skip }, () => {
  test('a revision starting with - is refused, never passed to git as an option', () => {
    assert.match(checkRevision('--output=/tmp/x')!, /starts with '-'/);
    assert.equal(checkRevision('HEAD~2'), null);
    const out = join(tmp, 'written-by-git');
    for (const args of [
      [`--git=--output=${out}`],
      [`--git=HEAD..--output=${out}`],
      [`--base=--output=${out}`, '-'],
      ['--git', 'HEAD\n--output'],
    ]) {
      const r = vfslock(repo.dir, args, '');
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, /starts with '-'|space or a control character/, r.err);
      assert.equal(existsSync(out), false);
    }
    const r = vfslock(repo.dir, ['--git', 'no-such-branch']);
    assert.equal(r.code, 2);
    assert.match(r.err, /^vfslock review: 'no-such-branch' is not a commit of the repository at /);
    const r2 = vfslock(tmp, ['--git', 'HEAD']);
    assert.equal(r2.code, 2);
    assert.match(r2.err, /is not inside a git working tree/);
  });

  test('a blob larger than the analyzer accepts is refused by its size; the search skips it with a note', async () => {
    const { dir, c } = makeRepo('huge');
    // 6 MB of a header that mentions the changed function: read through the caller search if it were not refused.
    write(dir, {
      'include/huge.h': `void lock_victim(struct inode *inode);\n${'/* padding */\n'.repeat((6 * 1024 * 1024) / 14)}`,
    });
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'a huge header']);
    const head = git(dir, ['rev-parse', 'HEAD']).trim();
    const tree = await GitTree.open(dir, head);
    try {
      const t0 = performance.now();
      await assert.rejects(
        tree.read('include/huge.h'),
        /^Error: include\/huge\.h: file is too large \(6(\.0)? MB; the limit is 4 MB\): not read/,
      );
      assert.ok(performance.now() - t0 < 2000);
      assert.equal(await tree.read('fs/victim.c'), VICTIM_UNLOCKED, 'the reader still works after the refusal');
    } finally {
      tree.close();
    }
    // The victim change, re-applied on top of the huge header: the review goes on without that file.
    git(dir, ['revert', '--no-edit', c.victim]);
    git(dir, ['revert', '--no-edit', 'HEAD']);
    const r = vfslock(dir, ['--format', 'json', '--git', 'HEAD']);
    assert.equal(r.code, 1, r.err);
    const p = JSON.parse(r.out).patches[0];
    assert.ok(
      p.notes.some((n: string) =>
        n.startsWith('not searched for callers and callees: include/huge.h: file is too large'),
      ),
      p.notes.join('\n'),
    );
    assert.deepEqual(
      p.contracts.map((k: { callers: string[] }) => k.callers),
      [['drivers/remove.c']],
    );
  });
});
