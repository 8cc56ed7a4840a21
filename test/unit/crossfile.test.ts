/**
 * Summaries across files (issue 10, item 1), through the built CLI on small fake kernel trees written here (a
 * Makefile, fs/ and include/): helpers of other files and static inline helpers of headers are understood from their
 * bodies; obligations reach callers in other files, or are reported where nothing in the tree calls the function.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from '../helpers/corpus';

const CLI = join(PROJECT_ROOT, 'dist', 'cli.js');

interface JsonFinding {
  file: string;
  ruleId: string;
  severity: string;
  function: string;
  line: number;
  message: string;
}

let base = '';
let cache = '';

function tree(name: string, files: Record<string, string>): string {
  const root = join(base, name);
  mkdirSync(join(root, 'fs'), { recursive: true });
  mkdirSync(join(root, 'include', 'linux'), { recursive: true });
  writeFileSync(join(root, 'Makefile'), 'VERSION = 6\nPATCHLEVEL = 12\n');
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

function check(args: string[]): JsonFinding[] {
  const r = spawnSync(process.execPath, [CLI, 'check', '--format', 'json', ...args], {
    encoding: 'utf8',
    timeout: 120000,
    env: { ...process.env, VFSLOCK_CACHE_DIR: cache },
  });
  assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { findings: JsonFinding[] }).findings.filter((f) => f.severity !== 'info');
}

const where = (fs: JsonFinding[]) =>
  fs.map((f) => `${f.file.split('/fs/').pop()}:${f.line} ${f.function} ${f.ruleId}`).sort();

/** A caller that locks the inode, has `breakCall` break its delegation, then removes an xattr (retrying on a delegation). */
function lockedRemove(fn: string, breakCall: string): string {
  return `int ${fn}(struct dentry *dentry, const char *name)
{
	struct inode *inode = d_inode(dentry);
	struct inode *delegated_inode = NULL;
	int err;
retry:
	inode_lock(inode);
	err = ${breakCall};
	if (!err)
		err = __vfs_removexattr(&nop_mnt_idmap, dentry, name);
	inode_unlock(inode);
	if (delegated_inode) {
		err = break_deleg_wait(&delegated_inode);
		if (!err)
			goto retry;
	}
	return err;
}
`;
}

const BREAK_HELPER = `int foo_break(struct inode *inode, struct inode **delegated_inode)
{
	return try_break_deleg(inode, delegated_inode);
}
`;

describe('summaries across files', () => {
  before(() => {
    base = mkdtempSync(join(tmpdir(), 'vfslock-xfile-'));
    cache = join(base, 'cache');
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  test('a break made in a helper of another file is credited at the call site', () => {
    const root = tree('credit', {
      'fs/foo/brk.c': BREAK_HELPER,
      'fs/foo/rm.c': lockedRemove('foo_remove', 'foo_break(inode, &delegated_inode)'),
    });
    assert.deepEqual(where(check(['--index', join(root, 'fs')])), []);
    // Each file on its own: the helper is unknown, the removal looks unbroken.
    assert.deepEqual(where(check(['--no-index', join(root, 'fs')])), ['foo/rm.c:10 foo_remove deleg/missing-break']);
    // The index is opt-in: without --index, files are checked on their own.
    assert.deepEqual(where(check([join(root, 'fs')])), ['foo/rm.c:10 foo_remove deleg/missing-break']);
  });

  test('a helper of another file that changes an inode without a break charges its caller', () => {
    const root = tree('charge', {
      'fs/foo/drop.c': `int foo_drop(struct dentry *dentry)
{
	return __vfs_removexattr(&nop_mnt_idmap, dentry, "user.foo");
}
`,
      'fs/foo/clear.c': `int foo_clear(struct path *path)
{
	struct inode *inode = d_inode(path->dentry);
	int err;

	inode_lock(inode);
	err = foo_drop(path->dentry);
	inode_unlock(inode);
	return err;
}
`,
    });
    assert.deepEqual(where(check(['--index', join(root, 'fs')])), ['foo/clear.c:7 foo_clear deleg/missing-break']);
    assert.deepEqual(where(check(['--no-index', join(root, 'fs')])), []);
  });

  test('a static inline wrapper of an included header is understood from its body', () => {
    const wrapper = `static inline int foo_try_break(struct inode *inode, struct inode **di)
{
	return try_break_deleg(inode, di);
}
`;
    const root = tree('header', {
      'include/linux/foo_deleg.h': wrapper,
      'fs/foo/local.h': wrapper.replace('foo_try_break', 'foo_local_break'),
      'fs/foo/sys.c':
        '#include <linux/foo_deleg.h>\n' + lockedRemove('foo_sys', 'foo_try_break(inode, &delegated_inode)'),
      'fs/foo/loc.c': '#include "local.h"\n' + lockedRemove('foo_loc', 'foo_local_break(inode, &delegated_inode)'),
      // Not including the header: the wrapper's name means nothing here.
      'fs/foo/none.c': lockedRemove('foo_none', 'foo_try_break(inode, &delegated_inode)'),
    });
    assert.deepEqual(where(check(['--index', join(root, 'fs')])), ['foo/none.c:10 foo_none deleg/missing-break']);
  });

  test('an obligation nothing in the tree takes over is reported in the exported function, not in an ops method', () => {
    const root = tree('roots', {
      'fs/foo/xattr.c': `static int foo_xattr_remove(const struct xattr_handler *handler, struct dentry *dentry, const char *name)
{
	return __vfs_removexattr(&nop_mnt_idmap, dentry, name);
}

static const struct xattr_handler foo_xattr_handler = {
	.prefix = "user.",
	.set = foo_xattr_remove,
};

int foo_exported_remove(struct dentry *dentry, const char *name)
{
	return __vfs_removexattr(&nop_mnt_idmap, dentry, name);
}
EXPORT_SYMBOL(foo_exported_remove);

int foo_called_remove(struct dentry *dentry, const char *name)
{
	return __vfs_removexattr(&nop_mnt_idmap, dentry, name);
}
`,
      'fs/foo/user.c': `int foo_user(struct dentry *dentry)
{
	return foo_called_remove(dentry, "user.x");
}
`,
    });
    // The ops method is called by the VFS under the method's contract (vfs_setxattr/vfs_removexattr break first):
    // stored in an ops table, it has callers; the exported function has none in the tree; foo_called_remove's
    // obligation goes to its caller in user.c.
    assert.deepEqual(where(check(['--index', join(root, 'fs')])), [
      'foo/user.c:3 foo_user deleg/missing-break',
      'foo/xattr.c:13 foo_exported_remove deleg/missing-break',
    ]);
    assert.deepEqual(where(check(['--no-index', join(root, 'fs')])), []);
  });

  test('a lone file of a kernel tree gets the findings of a whole-tree check, built once, then cached and used by plain runs', () => {
    const root = tree('single', {
      'fs/foo/brk.c': BREAK_HELPER,
      'fs/foo/rm.c': lockedRemove('foo_remove', 'foo_break(inode, &delegated_inode)'),
      'fs/foo/drop.c':
        'int foo_drop(struct dentry *dentry)\n{\n\treturn __vfs_removexattr(&nop_mnt_idmap, dentry, "user.foo");\n}\n',
      'fs/foo/clear.c':
        'int foo_clear(struct inode *inode, struct dentry *dentry)\n{\n\tint err;\n\n\tinode_lock(inode);\n\terr = foo_drop(dentry);\n\tinode_unlock(inode);\n\treturn err;\n}\n',
    });
    const whole = check(['--index', join(root, 'fs')]);
    for (const f of ['rm.c', 'clear.c']) {
      const file = join(root, 'fs', 'foo', f);
      const lone = check(['--index', file]);
      assert.deepEqual(where(lone), where(whole.filter((x) => x.file === file)), f);
      // The second run reads the cached index: same answer; so does a run without --index, now that it is cached.
      assert.deepEqual(where(check(['--index', file])), where(lone), `${f} (cached index)`);
      assert.deepEqual(where(check([file])), where(lone), `${f} (cached index, no --index)`);
    }
    assert.ok(
      whole.some((x) => x.file.endsWith('clear.c')),
      'the cross-file charge is found at all',
    );
    assert.deepEqual(where(check(['--no-index', join(root, 'fs', 'foo', 'rm.c')])), [
      'foo/rm.c:10 foo_remove deleg/missing-break',
    ]);
    // A file the cached index was not built from changes: the cache is stale and not used until --index rebuilds it.
    writeFileSync(join(root, 'fs', 'foo', 'brk.c'), BREAK_HELPER.replace('foo_break', 'foo_break_renamed'));
    assert.deepEqual(where(check([join(root, 'fs', 'foo', 'rm.c')])), ['foo/rm.c:10 foo_remove deleg/missing-break']);
  });

  test('refactor: a break moved into a static helper called under the lock stays clean', () => {
    const root = tree('refactor', {
      'fs/foo/inline.c': lockedRemove('foo_remove', 'try_break_deleg(inode, &delegated_inode)'),
      'fs/foo/helper.c':
        `static int foo_prepare(struct inode *inode, struct inode **delegated_inode)
{
	int err = try_break_deleg(inode, delegated_inode);

	if (err)
		return err;
	return 0;
}

` + lockedRemove('foo_remove2', 'foo_prepare(inode, &delegated_inode)'),
    });
    assert.deepEqual(where(check(['--index', join(root, 'fs')])), []);
  });
  test('a lock requirement reaching a function nothing in the tree calls is reported there', () => {
    const setMode = `int foo_set_mode(struct dentry *dentry, umode_t mode)
{
	struct iattr attrs = { .ia_valid = ATTR_MODE, .ia_mode = mode };

	return notify_change(&nop_mnt_idmap, dentry, &attrs, NULL);
}
`;
    const alone = tree('root-require', { 'fs/foo/mode.c': setMode });
    const found = check(['--index', join(alone, 'fs')]);
    assert.deepEqual(where(found), ['foo/mode.c:5 foo_set_mode deleg/break-unlocked']);
    assert.match(found[0].message, /notify_change\(\) changes d_inode\(dentry\).*not held/);
    // With a caller in another file that holds the lock, the requirement is that caller's, and it is met.
    const called = tree('root-require-called', {
      'fs/foo/mode.c': setMode,
      'fs/foo/user.c': `int foo_chmod(struct dentry *dentry, umode_t mode)
{
	int err;

	inode_lock(d_inode(dentry));
	err = foo_set_mode(dentry, mode);
	inode_unlock(d_inode(dentry));
	return err;
}
`,
    });
    assert.deepEqual(where(check(['--index', join(called, 'fs')])), []);
    // Each file on its own: the callers are unknown, so nothing is claimed.
    assert.deepEqual(where(check(['--no-index', join(alone, 'fs')])), []);
  });

  test('a lock a helper returns holding, kept by a function nothing in the tree calls, is reported there', () => {
    // lock_parent() of another file returns with the parent locked; foo_touch() lost its unlock. With the tree's
    // index nothing calls foo_touch(), so no caller can release the lock.
    const lockParent = `struct dentry *foo_lock_parent(struct dentry *dentry)
{
	struct dentry *dir = dget_parent(dentry);

	inode_lock_nested(d_inode(dir), I_MUTEX_PARENT);
	return dir;
}
`;
    const touch = (unlock: string) => `int foo_touch(struct dentry *dentry)
{
	struct dentry *dir = foo_lock_parent(dentry);
	int err = d_really_is_negative(dentry) ? -ENOENT : 0;

	${unlock}
	dput(dir);
	return err;
}
`;
    const kept = tree('root-lock', { 'fs/foo/lock.c': lockParent, 'fs/foo/touch.c': touch('') });
    const found = check(['--index', join(kept, 'fs')]);
    assert.deepEqual(where(found), ['foo/touch.c:8 foo_touch lock/imbalance']);
    assert.match(
      found[0].message,
      /^foo_touch: returns with d_inode\(dentry->d_parent\) still locked \(taken by foo_lock_parent\), and nothing in the checked tree calls it\./,
    );
    const released = tree('root-lock-released', {
      'fs/foo/lock.c': lockParent,
      'fs/foo/touch.c': touch('inode_unlock(d_inode(dir));'),
    });
    assert.deepEqual(where(check(['--index', join(released, 'fs')])), []);
    // Each file on its own: foo_touch() may have callers that release it, so nothing is claimed.
    assert.deepEqual(where(check(['--no-index', join(kept, 'fs')])), []);
  });

  test('a function called only from a header helper read late is not taken for one nothing calls', () => {
    // The header names nothing catalogued: it is read but not parsed until foo_set_mode() has a summary. Its helper's
    // call must then count as a caller, so the requirement goes to the helper's caller (which holds the lock).
    const root = tree('root-require-header', {
      'fs/foo/mode.c': `int foo_set_mode(struct dentry *dentry, umode_t mode)
{
	struct iattr attrs = { .ia_valid = ATTR_MODE, .ia_mode = mode };

	return notify_change(&nop_mnt_idmap, dentry, &attrs, NULL);
}
`,
      'include/linux/foo_mode.h': `static inline int foo_chmod_locked(struct dentry *dentry, umode_t mode)
{
	return foo_set_mode(dentry, mode);
}
`,
      'fs/foo/user.c': `#include <linux/foo_mode.h>

int foo_chmod(struct dentry *dentry, umode_t mode)
{
	int err;

	inode_lock(d_inode(dentry));
	err = foo_chmod_locked(dentry, mode);
	inode_unlock(d_inode(dentry));
	return err;
}
`,
    });
    assert.deepEqual(where(check(['--index', join(root, 'fs')])), []);
  });

  test("a helper's change made only under a flag of the caller's attribute word", () => {
    const helper = `int foo_setattr(struct dentry *dentry, struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	int err = 0;

	if (attr->ia_valid & ATTR_SIZE)
		truncate_setsize(inode, attr->ia_size);
	if (attr->ia_valid & ATTR_MODE)
		err = __vfs_setxattr(&nop_mnt_idmap, dentry, inode, "system.foo", NULL, 0, 0);
	return err;
}
`;
    const caller = (fn: string, flags: string) => `int ${fn}(struct dentry *dentry, loff_t size, umode_t mode)
{
	struct iattr attrs = { .ia_size = size, .ia_mode = mode, .ia_valid = ${flags} };
	int err;

	inode_lock(d_inode(dentry));
	err = foo_setattr(dentry, &attrs);
	inode_unlock(d_inode(dentry));
	return err;
}
`;
    const root = tree('flag-guard', {
      'fs/foo/setattr.c': helper,
      'fs/foo/shrink.c': caller('foo_shrink', 'ATTR_SIZE | ATTR_CTIME'),
      'fs/foo/chmod.c': caller('foo_chmod2', 'ATTR_MODE | ATTR_CTIME'),
      // A word the caller was handed: its flags are unknown, so the change may happen.
      'fs/foo/pass.c': `int foo_pass(struct dentry *dentry, struct iattr *attr)
{
	int err;

	inode_lock(d_inode(dentry));
	err = foo_setattr(dentry, attr);
	inode_unlock(d_inode(dentry));
	return err;
}
`,
    });
    assert.deepEqual(where(check(['--index', join(root, 'fs')])), [
      'foo/chmod.c:7 foo_chmod2 deleg/missing-break',
      'foo/pass.c:6 foo_pass deleg/missing-break',
    ]);
    // The helper setting the flag itself makes the test say nothing about the caller's word.
    const own = tree('flag-guard-own', {
      'fs/foo/setattr.c': helper.replace('int err = 0;', 'int err = 0;\n\n\tattr->ia_valid |= ATTR_MODE;'),
      'fs/foo/shrink.c': caller('foo_shrink', 'ATTR_SIZE | ATTR_CTIME'),
    });
    assert.deepEqual(where(check(['--index', join(own, 'fs')])), ['foo/shrink.c:7 foo_shrink deleg/missing-break']);
  });
  test("a finding other files' callers rule out (the file is open for write at every call) is left to them", () => {
    const tag = `void foo_store_tag(struct file *file, const void *tag, size_t len)
{
	struct dentry *dentry = file_dentry(file);
	struct inode *inode = file_inode(file);

	inode_lock(inode);
	__vfs_setxattr_noperm(&nop_mnt_idmap, dentry, "security.foo", tag, len, 0);
	inode_unlock(inode);
}
`;
    const release = (flag: string) => `static void foo_last_writer(struct file *file, const void *tag, size_t len)
{
	fmode_t mode = file->f_mode;

	if (!(mode & ${flag}))
		return;
	foo_store_tag(file, tag, len);
}

int foo_release(struct inode *inode, struct file *file)
{
	foo_last_writer(file, NULL, 0);
	return 0;
}
`;
    const writer = tree('deferred-write', { 'fs/foo/tag.c': tag, 'fs/foo/release.c': release('FMODE_WRITE') });
    assert.deepEqual(where(check(['--index', join(writer, 'fs')])), []);
    // A lone file of the tree gets the same answer from the tree's index.
    assert.deepEqual(where(check(['--index', join(writer, 'fs', 'foo', 'tag.c')])), []);
    // File by file, the callers are unknown: the change is reported where it is made.
    assert.deepEqual(where(check(['--no-index', join(writer, 'fs')])), [
      'foo/tag.c:7 foo_store_tag deleg/missing-break',
    ]);
    // A caller that does not rule it out (a read open may hold a delegation): reported in the callee.
    const reader = tree('deferred-read', { 'fs/foo/tag.c': tag, 'fs/foo/release.c': release('FMODE_READ') });
    assert.deepEqual(where(check(['--index', join(reader, 'fs')])), ['foo/tag.c:7 foo_store_tag deleg/missing-break']);
    // Stored in an ops table: called through a pointer by callers the tree does not show, so it is reported.
    const stored = tree('deferred-stored', {
      'fs/foo/tag.c': tag + '\nconst struct foo_ops foo_ops = { .store = foo_store_tag };\n',
      'fs/foo/release.c': release('FMODE_WRITE'),
    });
    assert.deepEqual(where(check(['--index', join(stored, 'fs')])), ['foo/tag.c:7 foo_store_tag deleg/missing-break']);
  });
});
