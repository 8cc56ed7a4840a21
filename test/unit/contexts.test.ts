/**
 * Path facts real code relies on, contexts where no delegation can exist, and nfsd's grant protocol: each class on a
 * small snippet written for these tests, with the correct idiom (clean) and the bug it hides (still flagged).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { check, rules, warnings } from '../helpers/snippet';
import { sharedAnalyzer } from '../helpers/corpus';

describe('a boolean that records a lock', () => {
  const flagged = (unlockTwice: boolean) => `
ssize_t f(struct kiocb *req, struct inode *inode, bool extend)
{
	bool locked = true;
	ssize_t ret;

	inode_lock(inode);
	ret = prepare(req);
	if (ret)
		goto out;
	if (!extend) {
		inode_unlock(inode);
		${unlockTwice ? '' : 'locked = false;'}
	}
	ret = do_io(req);
out:
	if (locked)
		inode_unlock(inode);
	return ret;
}`;

  test('`locked = false` next to the unlock and `if (locked) inode_unlock()` is balanced', async () => {
    assert.deepEqual(await rules(flagged(false)), []);
  });

  test('forgetting to clear the flag is still a double unlock', async () => {
    assert.deepEqual(await rules(flagged(true)), ['lock/imbalance@f']);
  });

  test('a pointer set to NULL after its unlock, then `if (inode) inode_unlock(inode)`', async () => {
    const code = (clear: boolean) => `
int f(struct file *file)
{
	struct inode *inode = NULL;
	int error;

	inode = file->f_mapping->host;
	inode_lock(inode);
	error = setup(inode);
	if (error)
		goto bad;
	error = 0;
	goto out;
bad:
	inode_unlock(inode);
	${clear ? 'inode = NULL;' : ''}
	cleanup();
out:
	if (inode)
		inode_unlock(inode);
	return error;
}`;
    assert.deepEqual(await rules(code(true)), []);
    assert.deepEqual(await rules(code(false)), ['lock/imbalance@f']);
  });
});

describe('an error variable reused after PTR_ERR_OR_ZERO', () => {
  const code = (test: string, label = 'err3') => `
long f(int dfd, const char __user *name, struct path *dst_path)
{
	struct dentry *dst_dentry;
	struct inode *inode;
	int error;

	dst_dentry = user_path_create(dfd, name, dst_path, 0);
	error = PTR_ERR_OR_ZERO(dst_dentry);
	if (${test})
		goto err2;
	if (dst_dentry->d_inode) {
		error = -EEXIST;
		goto ${label};
	}
	inode = make_inode(dst_path->dentry->d_inode, dst_dentry);
	error = PTR_ERR_OR_ZERO(inode);
	if (error)
		goto err3;
	d_instantiate(dst_dentry, inode);
err3:
	done_path_create(dst_path, dst_dentry);
err2:
	if (error)
		return error;
	return 0;
}`;

  test('`if (error) goto` after PTR_ERR_OR_ZERO(x) is IS_ERR(x): the failed create holds no lock', async () => {
    assert.deepEqual(await rules(code('error')), []);
  });

  test('a later failure that skips done_path_create() is still a leak', async () => {
    assert.deepEqual(await rules(code('error', 'err2')), ['lock/imbalance@f']);
  });
});

describe('PTR_ERR() of a pointer known to be an error', () => {
  // `error = PTR_ERR(filp)` under IS_ERR(filp) is a nonzero error code: the `if (error && created)` release at `out:`
  // runs on that path. Read as an unknown value, a path returning 0 with the lock still held was explored.
  const code = `
long f(int dfd, const char __user *name, struct path *dst_path, struct path *src)
{
	struct dentry *dst_dentry;
	struct file *filp;
	bool created = false;
	long error;

	dst_dentry = user_path_create(dfd, name, dst_path, 0);
	if (IS_ERR(dst_dentry))
		return PTR_ERR(dst_dentry);
	created = true;
	filp = dentry_open(src, O_RDONLY, current_cred());
	if (IS_ERR(filp)) {
		error = PTR_ERR(filp);
		goto out;
	}
	done_path_create(dst_path, dst_dentry);
	fput(filp);
	error = 0;
out:
	if (error && created)
		done_path_create(dst_path, dst_dentry);
	if (error)
		return error;
	inode_lock(d_inode(src->dentry));
	inode_unlock(d_inode(src->dentry));
	return 0;
}`;

  test('the error path releases the lock: nothing is held on the way to the successful return', async () => {
    const a = await sharedAnalyzer();
    const doc = a.open('errcode.c', code, { kernel: '6.12' });
    try {
      assert.deepEqual(doc.result().findings, []);
      const at = code.indexOf('inode_lock(d_inode(src');
      const ev = doc.eventsAt(at + 2).find((e) => e.api === 'inode_lock');
      assert.ok(ev, 'the inode_lock() event');
      assert.deepEqual(
        [...ev.always, ...ev.sometimes].map((l) => l.key),
        [],
        'no path reaches the successful return holding the parent',
      );
    } finally {
      doc.dispose();
    }
  });
});

describe('one inode under two names', () => {
  test('VFS_I(ip) in the local and in the unlock is one inode', async () => {
    const r = await rules(`
int f(struct xfs_scrub *sc, struct dentry *d)
{
	struct inode *root = VFS_I(sc->mp->m_rootip);
	int error = 0;

	if (!d)
		return -EINVAL;
	inode_lock_nested(root, I_MUTEX_PARENT);
	if (!check(d)) {
		error = -ENOENT;
		goto out_unlock;
	}
	use(d);
out_unlock:
	inode_unlock(VFS_I(sc->mp->m_rootip));
	return error;
}`);
    assert.deepEqual(r, []);
  });

  test('BTRFS_I(dir) and &ei->vfs_inode name the inode locked through dir->i_rwsem', async () => {
    const ok = await rules(`
int f(struct inode *dir, struct dentry *parent)
{
	struct btrfs_inode *ei = BTRFS_I(dir);
	int ret;

	ret = down_write_killable_nested(&dir->i_rwsem, I_MUTEX_PARENT);
	if (ret)
		return ret;
	if (work(parent) < 0) {
		ret = -EIO;
		goto out;
	}
	more(parent);
out:
	inode_unlock(&ei->vfs_inode);
	return ret;
}`);
    assert.deepEqual(ok, []);
  });
});

describe('a condition copied into a bool before the if', () => {
  const chmod = (decl: string, test: string) => `
int f(struct path *path, umode_t mode)
{
	struct inode *inode = path->dentry->d_inode;
	struct inode *delegated_inode = NULL;
	struct iattr newattrs;
	int error;
retry_deleg:
	inode_lock(inode);
	newattrs.ia_mode = mode;
	newattrs.ia_valid = ATTR_MODE | ATTR_CTIME;
	error = notify_change(path->dentry, &newattrs, &delegated_inode);
	inode_unlock(inode);
	{
		${decl}
		if (${test}) {
			error = break_deleg_wait(&delegated_inode);
			if (!error)
				goto retry_deleg;
		}
	}
	return error;
}`;

  test('`bool must_wait = delegated_inode; if (must_wait)` is the wait-and-retry', async () => {
    assert.deepEqual(await rules(chmod('bool must_wait = delegated_inode;', 'must_wait'), { kernel: '6.12' }), []);
  });

  test('a bool that copies the wrong test is not the wait (`!delegated_inode`: no wait when it is set)', async () => {
    assert.deepEqual(await rules(chmod('bool must_wait = !delegated_inode;', 'must_wait'), { kernel: '6.12' }), [
      'deleg/unhandled-delegated-inode@f',
    ]);
  });

  test('a bool read somewhere else too is left as a variable', async () => {
    const code = chmod('bool must_wait = delegated_inode;', 'must_wait').replace(
      'return error;',
      'return must_wait ? -EAGAIN : error;',
    );
    assert.deepEqual(await rules(code, { kernel: '6.12' }), ['deleg/unhandled-delegated-inode@f']);
  });

  const unlink = (test: string) => `
int f(struct inode *dir, struct dentry *dentry, struct inode **delegated_inode)
{
	struct inode *target = dentry->d_inode;
	int error;
	bool ok;

	inode_lock(target);
	error = try_break_deleg(target, delegated_inode);
	ok = ${test};
	if (ok)
		error = dir->i_op->unlink(dir, dentry);
	inode_unlock(target);
	return error;
}`;

  test('`bool ok;` then `ok = !error; if (ok)`: the assignment is the condition too', async () => {
    assert.deepEqual(await rules(unlink('!error'), { kernel: '6.12' }), []);
  });

  test('`ok = error;` (the wrong test) changes after a failed break: flagged', async () => {
    assert.deepEqual(await rules(unlink('error'), { kernel: '6.12' }), ['deleg/missing-break@f']);
  });

  const lease = (between: string) => `
int f(struct inode *inode, bool is_deleg)
{
	bool busy = is_deleg && !inode_trylock(inode);
	int error;
${between}
	if (busy)
		return -EAGAIN;
	error = insert_lease(inode);
	if (is_deleg)
		inode_unlock(inode);
	return error;
}`;

  test('`bool busy = is_deleg && !inode_trylock(inode); if (busy) return` keeps the trylock outcome', async () => {
    assert.deepEqual(await rules(lease('')), []);
  });

  test('a call between the copy and the if: not fused, the call could change what it reads (the outcome is lost: known limit)', async () => {
    assert.deepEqual(await rules(lease('\tprepare(inode);')), ['lock/imbalance@f']);
  });
});

describe('a helper handed &inode->i_mutex (before 4.7)', () => {
  const link = (lockBody: string, lockArg: string) => `
static void my_lock(struct mutex *m)
{
${lockBody}
}

static void my_unlock(struct mutex *m)
{
	mutex_unlock(m);
}

int vfs_link(struct dentry *old_dentry, struct inode *dir, struct dentry *new_dentry, struct inode **delegated_inode)
{
	struct inode *inode = old_dentry->d_inode;
	int error;

	my_lock(${lockArg});
	error = try_break_deleg(inode, delegated_inode);
	if (!error)
		error = dir->i_op->link(old_dentry, dir, new_dentry);
	my_unlock(${lockArg});
	return error;
}`;

  test('refactor: mutex_lock/mutex_unlock wrapped in helpers taking struct mutex * lock the inode', async () => {
    assert.deepEqual(await rules(link('\tmutex_lock(m);', '&inode->i_mutex'), { kernel: '3.13' }), []);
  });

  test('the same helpers handed another mutex do not lock the inode', async () => {
    const r = await rules(link('\tmutex_lock(m);', '&dir->i_sb->s_vfs_rename_mutex'), { kernel: '3.13' });
    assert.deepEqual([...new Set(r)], ['deleg/break-unlocked@vfs_link']);
  });

  test('a lock helper whose mutex_lock was deleted locks nothing', async () => {
    const r = await rules(link('\tmight_sleep();', '&inode->i_mutex'), { kernel: '3.13' });
    assert.ok(r.includes('deleg/break-unlocked@vfs_link'), r.join());
  });
});

describe('one inode under two names, found equal only after the first unlock', () => {
  const code = (unlockFirst: boolean) => `
static int lock_two(struct inode *src, struct inode *dest)
{
	int error = prepare_layout(src);

	if (error)
		return error;
	inode_lock(src);
	if (src == dest)
		return 0;
	inode_lock_nested(dest, I_MUTEX_NONDIR2);
	return 0;
}

int f(struct inode *ip1, struct inode *ip2)
{
	int ret = lock_two(ip1, ip2);

	if (ret)
		return ret;
	ret = prepare(ip1, ip2);
	if (ret) {
		inode_unlock(ip2);
		${unlockFirst ? 'if (ip1 != ip2)\n\t\t\tinode_unlock(ip1);' : ''}
		return ret;
	}
	return 0;
}`;

  test('`inode_unlock(ip2); if (ip1 != ip2) inode_unlock(ip1);` releases the one lock of ip1 == ip2', async () => {
    assert.deepEqual(await rules(code(true)), []);
  });

  test('forgetting ip1 when the two differ is still a leak', async () => {
    assert.deepEqual(await rules(code(false)), ['lock/imbalance@f']);
  });
});

describe('a lock that depends on a flags argument', () => {
  test('a helper locking only for some flags is not an acquirer: callers are not told it returns locked', async () => {
    const r = await rules(`
static void my_ilock(struct my_inode *ip, unsigned int flags)
{
	if (flags & MY_IOLOCK)
		inode_lock(VFS_I(ip));
}

int f(struct my_inode *ip)
{
	my_ilock(ip, MY_OTHER_LOCK);
	if (busy(ip))
		return -EBUSY;
	return 0;
}`);
    assert.deepEqual(r, []);
  });

  test("a helper releasing a caller's lock only for some flags is not summarised as releasing it", async () => {
    const helper = (guarded: boolean) => `
static void my_iunlock(struct my_inode *ip, unsigned int flags)
{
	${guarded ? 'if (flags & MY_IOLOCK)\n\t\t' : ''}inode_unlock(VFS_I(ip));
	if (flags & MY_ILOCK)
		up_write(&ip->i_lock);
}`;
    const a = await sharedAnalyzer();
    assert.deepEqual(a.summariesOf('snippet.c', helper(true)).get('my_iunlock')?.releases ?? [], []);
    assert.deepEqual(a.summariesOf('snippet.c', helper(false)).get('my_iunlock')?.releases, [
      { role: 'arg0', always: true },
    ]);
  });

  test("a helper that upgrades its caller's lock (unlock shared, lock exclusive) neither releases nor acquires it", async () => {
    const a = await sharedAnalyzer();
    const s = a
      .summariesOf(
        'snippet.c',
        `
static bool get_items(struct inode *inode)
{
	if (!has_items(inode))
		return false;
	inode_unlock_shared(inode);
	inode_lock(inode);
	return true;
}`,
      )
      .get('get_items');
    assert.deepEqual([s?.releases ?? [], s?.acquires ?? []], [[], []]);
  });

  test("the same upgrade through the filesystem's own lock and unlock helpers neither releases nor acquires", async () => {
    const a = await sharedAnalyzer();
    const code = `
static void my_unlock(struct inode *inode, unsigned int flags)
{
	if (flags & MY_SHARED)
		inode_unlock_shared(inode);
	else
		inode_unlock(inode);
}

static void my_lock(struct inode *inode, unsigned int flags)
{
	if (flags & MY_SHARED)
		inode_lock_shared(inode);
	else
		inode_lock(inode);
}

static bool get_items(struct inode *inode)
{
	if (!has_items(inode))
		return false;
	my_unlock(inode, MY_SHARED);
	my_lock(inode, 0);
	return true;
}

int my_readdir(struct file *file, struct dir_context *ctx)
{
	struct inode *inode = file_inode(file);
	bool put = false;

	if (get_items(inode))
		put = true;
	emit(ctx);
	if (put)
		downgrade_write(&inode->i_rwsem);
	return 0;
}`;
    const s = a.summariesOf('snippet.c', code).get('get_items');
    assert.deepEqual([s?.releases ?? [], s?.acquires ?? []], [[], []]);
    assert.deepEqual(await rules(code), []);
  });

  test('a helper releasing two names of what may be one inode releases both, also when they are equal', async () => {
    const a = await sharedAnalyzer();
    const s = a
      .summariesOf(
        'snippet.c',
        `
void my_iunlock2(struct inode *ip1, struct inode *ip2)
{
	inode_unlock(ip2);
	if (ip1 != ip2)
		inode_unlock(ip1);
}`,
      )
      .get('my_iunlock2');
    assert.deepEqual(s?.releases.map((r) => r.role).sort(), ['arg0', 'arg1']);
  });
});

describe('an assertion is a requirement, not a lock', () => {
  test('lockdep_assert_held() then drop and re-take: the caller still holds it, no leak', async () => {
    const r = await rules(`
int f(struct inode *inode)
{
	lockdep_assert_held(&inode->i_rwsem);
	if (!busy(inode))
		return 0;
	inode_unlock(inode);
	wait_for_something();
	inode_lock(inode);
	if (signal_pending(current))
		return -EINTR;
	return 1;
}`);
    assert.deepEqual(r, []);
  });

  test("releasing an asserted lock is releasing the caller's lock, not a double unlock", async () => {
    const r = await rules(`
int f(struct inode *inode)
{
	WARN_ON_ONCE(!inode_is_locked(inode));
	inode_unlock(inode);
	return 0;
}`);
    assert.deepEqual(r, []);
  });

  test('the caller holds an asserted lock: a blocking break under it is flagged', async () => {
    const r = await rules(`
int f(struct inode *inode)
{
	lockdep_assert_held(&inode->i_rwsem);
	return break_deleg(inode, O_WRONLY);
}`);
    assert.deepEqual(r, ['deleg/blocking-break-locked@f']);
  });
});

describe("try_break_deleg()'s result must be honoured", () => {
  const code = (body: string) => `
int f(struct dentry *dentry, struct iattr *attr, struct inode **di)
{
	struct inode *inode = d_inode(dentry);
	int error;

	inode_lock(inode);
${body}
	inode_unlock(inode);
	return error;
}`;

  test('testing the result and returning it is clean', async () => {
    assert.deepEqual(
      await rules(
        code(`	error = try_break_deleg(inode, di);
	if (error)
		goto out;
	error = inode->i_op->setattr(&nop_mnt_idmap, dentry, attr);
out:`),
      ),
      [],
    );
    assert.deepEqual(
      await rules(
        code(`	error = try_break_deleg(inode, di);
	if (!error)
		error = inode->i_op->setattr(&nop_mnt_idmap, dentry, attr);`),
      ),
      [],
    );
  });

  test('ignoring the result and changing is flagged', async () => {
    const r = await check(
      code(`	try_break_deleg(inode, di);
	error = inode->i_op->setattr(&nop_mnt_idmap, dentry, attr);`),
    );
    const f = r.filter((x) => x.ruleId === 'deleg/missing-break');
    assert.equal(f.length, 1);
    assert.match(f[0].message, /without testing the result of try_break_deleg/);
  });

  test('testing it and changing anyway on failure is flagged', async () => {
    const r = await check(
      code(`	error = try_break_deleg(inode, di);
	if (error)
		pr_warn("busy");
	error = inode->i_op->setattr(&nop_mnt_idmap, dentry, attr);`),
    );
    const f = r.filter((x) => x.ruleId === 'deleg/missing-break');
    assert.equal(f.length, 1);
    assert.match(f[0].message, /after try_break_deleg\(\) failed/);
  });
});

describe('ATTR_DELEG: setattr on behalf of the delegation holder', () => {
  const code = (valid: string) => `
int f(struct dentry *dentry, struct inode *inode)
{
	struct iattr attrs = { };
	int err;

	attrs.ia_valid = ${valid};
	inode_lock(inode);
	err = notify_change(&nop_mnt_idmap, dentry, &attrs, NULL);
	inode_unlock(inode);
	return err;
}`;

  test('no NULL-delegated-inode note when ia_valid carries ATTR_DELEG', async () => {
    const r = await check(code('ATTR_MTIME | ATTR_CTIME | ATTR_DELEG'), { kernel: '6.12' });
    assert.deepEqual(
      r.filter((x) => x.ruleId === 'deleg/null-delegated-inode'),
      [],
    );
  });

  test('a designated initializer with ATTR_DELEG counts too', async () => {
    const r = await check(
      `
void f(struct file *file, unsigned int flags)
{
	struct inode *inode = file_inode(file);
	struct iattr attr = {
		.ia_valid = ATTR_CTIME | ATTR_MTIME | ATTR_DELEG | flags,
	};
	inode_lock(inode);
	notify_change(&nop_mnt_idmap, file->f_path.dentry, &attr, NULL);
	inode_unlock(inode);
}`,
      { kernel: '6.12' },
    );
    assert.deepEqual(
      r.filter((x) => x.ruleId === 'deleg/null-delegated-inode'),
      [],
    );
  });

  test('without ATTR_DELEG the NULL note stays', async () => {
    const r = await check(code('ATTR_MTIME | ATTR_CTIME'), { kernel: '6.12' });
    assert.equal(r.filter((x) => x.ruleId === 'deleg/null-delegated-inode').length, 1);
  });
});

describe('a callee directory guard (before 6.19)', () => {
  const code = (type: string) => `
int f(struct dentry *dentry, struct posix_acl *acl)
{
	struct inode *inode = d_inode(dentry);
	int error;

	inode_lock(inode);
	error = set_posix_acl(&nop_mnt_idmap, dentry, ${type}, acl);
	inode_unlock(inode);
	return error;
}`;

  test('set_posix_acl(ACL_TYPE_DEFAULT) only changes directories: no file delegation to break', async () => {
    assert.deepEqual(await rules(code('ACL_TYPE_DEFAULT'), { kernel: '6.12' }), []);
  });

  test('set_posix_acl(ACL_TYPE_ACCESS) without a break is still flagged', async () => {
    assert.deepEqual(await rules(code('ACL_TYPE_ACCESS'), { kernel: '6.12' }), ['deleg/missing-break@f']);
  });

  test('from 6.19, a directory can be delegated: the default ACL change is flagged', async () => {
    assert.deepEqual(await rules(code('ACL_TYPE_DEFAULT'), { kernel: '6.19' }), ['deleg/missing-break@f']);
  });
});

describe('a file open for write: no delegation can exist', () => {
  test('FMODE_WRITE tested on the file whose inode is changed', async () => {
    const code = (test: string) => `
void f(struct file *file)
{
	struct dentry *dentry = file_dentry(file);
	fmode_t mode = file->f_mode;

	if (${test})
		return;
	inode_lock(file_inode(file));
	__vfs_setxattr_noperm(&nop_mnt_idmap, dentry, "security.x", "v", 1, 0);
	inode_unlock(file_inode(file));
}`;
    assert.deepEqual(await rules(code('!(mode & FMODE_WRITE)')), []);
    assert.deepEqual(await rules(code('!(mode & FMODE_READ)')), ['deleg/missing-break@f']);
  });

  test('a file the path opened O_RDWR: notify_change(..., NULL) on its inode needs no note', async () => {
    const code = (flags: string) => `
int f(const struct path *path, struct iattr *attr, const struct cred *cred)
{
	struct file *lower = dentry_open(path, ${flags}, cred);
	struct inode *inode = file_inode(lower);
	int err;

	if (IS_ERR(lower))
		return PTR_ERR(lower);
	inode_lock(inode);
	err = notify_change(&nop_mnt_idmap, lower->f_path.dentry, attr, NULL);
	inode_unlock(inode);
	fput(lower);
	return err;
}`;
    const rw = await check(code('O_RDWR | O_LARGEFILE'), { kernel: '6.12' });
    assert.deepEqual(
      rw.filter((x) => x.ruleId === 'deleg/null-delegated-inode'),
      [],
    );
    const ro = await check(code('O_RDONLY'), { kernel: '6.12' });
    assert.equal(ro.filter((x) => x.ruleId === 'deleg/null-delegated-inode').length, 1);
  });

  test('a static helper called only with the file open for write', async () => {
    const code = (guard: string) => `
static void fix(struct file *file)
{
	inode_lock(file_inode(file));
	__vfs_setxattr_noperm(&nop_mnt_idmap, file->f_path.dentry, "security.x", "v", 1, 0);
	inode_unlock(file_inode(file));
}

void last_writer(struct file *file)
{
	if (${guard})
		fix(file);
}`;
    assert.deepEqual(await rules(code('file->f_mode & FMODE_WRITE')), []);
    assert.deepEqual(await rules(code('file->f_mode & FMODE_READ')), ['deleg/missing-break@fix']);
  });
});

describe('inodes no delegation can exist on', () => {
  test('a private inode (IS_PRIVATE) is never delegated', async () => {
    const code = (test: string) => `
int f(struct inode *dir, struct dentry *dentry)
{
	struct inode *inode = d_inode(dentry);
	int error;

	if (${test})
		return -EPERM;
	inode_lock(inode);
	error = dir->i_op->unlink(dir, dentry);
	inode_unlock(inode);
	return error;
}`;
    assert.deepEqual(await rules(code('!IS_PRIVATE(inode)')), []);
    assert.deepEqual(await rules(code('!(inode->i_flags & S_PRIVATE)')), []);
    assert.deepEqual(await rules(code('IS_PRIVATE(inode)')), ['deleg/missing-break@f']);
  });

  test('an assertion that the inode is private (BUG_ON(!IS_PRIVATE())) rules a delegation out too', async () => {
    const code = (assertion: string) => `
int f(struct inode *dir, struct dentry *dentry)
{
	int error;

	${assertion};
	inode_lock(d_inode(dentry));
	error = dir->i_op->unlink(dir, dentry);
	inode_unlock(d_inode(dentry));
	return error;
}`;
    assert.deepEqual(await rules(code('BUG_ON(!IS_PRIVATE(d_inode(dentry)))')), []);
    assert.deepEqual(await rules(code('WARN_ON_ONCE(!IS_PRIVATE(d_inode(dentry)))')), []);
    // Asserting the opposite, or asserting it of another inode, rules nothing out.
    assert.deepEqual(await rules(code('BUG_ON(IS_PRIVATE(d_inode(dentry)))')), ['deleg/missing-break@f']);
    assert.deepEqual(await rules(code('BUG_ON(!IS_PRIVATE(dir))')), ['deleg/missing-break@f']);
  });

  test('a securityfs file nfsd cannot export', async () => {
    const code = (create: string) => `
int f(struct dentry *parent, struct iattr *attrs)
{
	struct dentry *d = ${create}("x", 0600, parent, NULL, &fops);
	int err;

	if (IS_ERR(d))
		return PTR_ERR(d);
	inode_lock(d_inode(d));
	err = simple_setattr(&nop_mnt_idmap, d, attrs);
	inode_unlock(d_inode(d));
	return err;
}`;
    assert.deepEqual(await rules(code('securityfs_create_file')), []);
    assert.deepEqual(await rules(code('my_create_file')), ['deleg/missing-break@f']);
  });
});

describe('a file-scope dentry created on securityfs', () => {
  const code = (create: string, also = '') => `
static struct dentry *xattrs_file;

static ssize_t write_xattrs(struct file *file, const char __user *buf, size_t count, loff_t *ppos)
{
	struct iattr newattrs = { .ia_valid = ATTR_MODE };
	struct inode *inode = xattrs_file->d_inode;
	int err;

	inode_lock(inode);
	err = simple_setattr(&nop_mnt_idmap, xattrs_file, &newattrs);
	inode_unlock(inode);
	return err ? err : count;
}

int __init init_secfs(struct dentry *dir)
{
	xattrs_file = ${create}("xattrs", 0660, dir, NULL, &xattrs_ops);
	if (IS_ERR(xattrs_file))
		return PTR_ERR(xattrs_file);
${also}
	return 0;
}`;

  test('every assignment in the file is from securityfs_create_file(): no delegation to break', async () => {
    assert.deepEqual(await rules(code('securityfs_create_file')), []);
  });

  test('a global also assigned a lookup result, or made by another creator, is still checked', async () => {
    assert.deepEqual(await rules(code('securityfs_create_file', '\txattrs_file = lookup_one_len("x", dir, 1);')), [
      'deleg/missing-break@write_xattrs',
    ]);
    assert.deepEqual(await rules(code('my_create_file')), ['deleg/missing-break@write_xattrs']);
  });
});

describe('a conditional expression as a statement', () => {
  const unlink = (stmt: string) => `
int f(struct inode *dir, struct dentry *dentry, struct inode **delegated_inode)
{
	struct inode *target = dentry->d_inode;
	int error;

	inode_lock(target);
	error = try_break_deleg(target, delegated_inode);
	${stmt}
	inode_unlock(target);
	return error;
}`;

  test('`error = error ? error : ->unlink()` and `error = error ?: ->unlink()` change only after a successful break', async () => {
    assert.deepEqual(
      await rules(unlink('error = error ? error : dir->i_op->unlink(dir, dentry);'), { kernel: '6.12' }),
      [],
    );
    assert.deepEqual(await rules(unlink('error = error ?: dir->i_op->unlink(dir, dentry);'), { kernel: '6.12' }), []);
  });

  test('the arms swapped: the change runs after the break failed', async () => {
    assert.deepEqual(
      await rules(unlink('error = error ? dir->i_op->unlink(dir, dentry) : error;'), { kernel: '6.12' }),
      ['deleg/missing-break@f'],
    );
  });

  test('`return error ? error : ->unlink()` under the lock is the same', async () => {
    const code = unlink('').replace(
      '\tinode_unlock(target);\n\treturn error;',
      '\treturn error ? error : dir->i_op->unlink(dir, dentry);',
    );
    // The lock is still held at the return: the change is fine, the leak is reported.
    assert.deepEqual(await rules(code, { kernel: '6.12' }), ['lock/imbalance@f']);
  });
});

describe('an attribute macro before the name of a (void) function', () => {
  const code = (init: string) => `
static struct dentry *demo_file;

static int demo_lock_down(void)
{
	struct iattr newattrs = { .ia_valid = ATTR_MODE };
	struct inode *inode = d_inode(demo_file);
	int err;

	inode_lock(inode);
	err = simple_setattr(&nop_mnt_idmap, demo_file, &newattrs);
	inode_unlock(inode);
	return err;
}

${init}
{
	demo_file = securityfs_create_file("demo", 0660, NULL, NULL, &demo_fops);
	return PTR_ERR_OR_ZERO(demo_file);
}`;

  test('`static int __init demo_init(void)` is the function demo_init (it parses as a declaration, then a definition)', async () => {
    const a = await sharedAnalyzer();
    const r = a.check('snippet.c', code('static int __init demo_init(void)'), { kernel: '6.12' });
    const f = r.functions.find((x) => x.name === 'demo_init');
    assert.ok(f, r.functions.map((x) => x.name).join());
    assert.equal(code('static int __init demo_init(void)').slice(f.nameStart, f.nameEnd), 'demo_init');
  });

  for (const attr of ['static int __init', 'int __init', 'static noinline int', 'static int __cold']) {
    test(`${attr} demo_init(void) creating the securityfs file: its dentry carries no delegation`, async () => {
      assert.deepEqual(await rules(code(`${attr} demo_init(void)`), { kernel: '6.12' }), []);
    });
  }

  test('the same init creating it with another function: still checked', async () => {
    assert.deepEqual(
      await rules(code('static int __init demo_init(void)').replace('securityfs_create_file', 'my_create_file'), {
        kernel: '6.12',
      }),
      ['deleg/missing-break@demo_lock_down'],
    );
  });
});

describe("nfsd's grant protocol", () => {
  const setDeleg = (middle: string, before = '') => `
static struct nfs4_delegation *set_deleg(struct nfsd4_open *open, struct nfs4_file *fp, struct nfs4_client *clp,
	struct dentry *parent, struct nfs4_delegation *dp)
{
	struct file_lease *fl;
	int status;

	fl = nfs4_alloc_init_lease(dp, 1);
	if (!fl)
		return ERR_PTR(-ENOMEM);
${before}
	status = kernel_setlease(fp->fi_deleg_file->nf_file, fl->c.flc_type, &fl, NULL);
	if (fl)
		locks_free_lease(fl);
	if (status)
		return ERR_PTR(status);
${middle}
	return dp;
out_unlock:
	kernel_setlease(fp->fi_deleg_file->nf_file, F_UNLCK, NULL, (void **)&dp);
	return ERR_PTR(status);
}`;
  const verify = `	if (parent) {
		status = nfsd4_verify_deleg_dentry(open, fp, parent);
		if (status)
			goto out_unlock;
	}`;
  const conflicts = `	status = nfsd4_check_conflicting_opens(clp, fp);
	if (status)
		goto out_unlock;`;

  test('re-checking conflicting opens and the dentry after kernel_setlease() is clean', async () => {
    assert.deepEqual(await rules(setDeleg(verify + '\n' + conflicts)), []);
  });

  test('dropping the conflicting-open re-check is lease/grant-unserialized', async () => {
    assert.deepEqual(await rules(setDeleg(verify)), ['lease/grant-unserialized@set_deleg']);
  });

  test('moving the re-checks before the grant is lease/grant-unserialized', async () => {
    assert.deepEqual(await rules(setDeleg('', verify + '\n' + conflicts)), ['lease/grant-unserialized@set_deleg']);
    assert.deepEqual(await rules(setDeleg(conflicts, verify)), ['lease/grant-unserialized@set_deleg']);
  });

  test('no re-check at all: before 6.19 every delegation is on a file, so the grant is unserialized', async () => {
    assert.deepEqual(await rules(setDeleg(''), { kernel: '6.12' }), ['lease/grant-unserialized@set_deleg']);
    // From 6.19 a delegation may be on a directory (no opens to conflict with): a function without any re-check is
    // not held to one.
    assert.deepEqual(await rules(setDeleg(''), { kernel: '6.19' }), []);
  });

  test('a delegation for a name (a parent file handle) owes the name re-check after the grant, from 6.1', async () => {
    const forName = (middle: string) => setDeleg(middle).replace('struct dentry *parent', 'struct svc_fh *parent');
    // Both re-checks, the name's only where there is a parent: clean (the path with parent NULL owes no name check).
    assert.deepEqual(await rules(forName(verify + '\n' + conflicts), { kernel: '6.12' }), []);
    // The name's re-check dropped: reported, and the message names it.
    const f = (await warnings(forName(conflicts), { kernel: '6.12' })).map((x) => `${x.ruleId}@${x.function}`);
    assert.deepEqual(f, ['lease/grant-unserialized@set_deleg']);
    assert.match(
      (await warnings(forName(conflicts), { kernel: '6.12' }))[0].message,
      /without re-checking the delegated name \(nfsd4_verify_deleg_dentry\) afterwards/,
    );
    // Made only when the parent is NULL: still owed where it is not.
    const inverted = verify.replace('if (parent)', 'if (!parent)');
    assert.deepEqual(await rules(forName(inverted + '\n' + conflicts), { kernel: '6.12' }), [
      'lease/grant-unserialized@set_deleg',
    ]);
    // Before nfsd re-verified names (5.15), nothing is owed for them.
    assert.deepEqual(await rules(forName(conflicts), { kernel: '5.15' }), []);
  });

  test('removing a lease (F_UNLCK) and a plain fcntl lease grant owe nothing', async () => {
    const r = await rules(`
int f(struct file *filp, int arg, struct file_lease *fl, void **priv)
{
	kernel_setlease(filp, F_UNLCK, NULL, priv);
	return vfs_setlease(filp, arg, &fl, priv);
}`);
    assert.deepEqual(r, []);
  });
});

describe('a lock an API requires, missing where the caller cannot be holding it', () => {
  // A NULL-passing caller of notify_change()/__vfs_setxattr_locked() is weaker evidence than an owner of the
  // wait-and-retry protocol; these are the cases where it is still certain that the lock is missing.
  const lower = (locked: boolean) => `
static int f(struct dentry *dentry, const char *name, const void *value, size_t size)
{
	struct dentry *lower_dentry;
	struct inode *lower_inode;
	int rc;

	lower_dentry = demo_to_lower(dentry);
	lower_inode = d_inode(lower_dentry);
	${locked ? 'inode_lock(lower_inode);' : ''}
	rc = __vfs_setxattr_locked(&nop_mnt_idmap, lower_dentry, name, value, size, 0, NULL);
	${locked ? 'inode_unlock(lower_inode);' : ''}
	return rc;
}`;

  test('a local assigned once from an unknown call is a stable name: its missing lock is reported', async () => {
    assert.deepEqual(await rules(lower(true), { kernel: '6.12' }), []);
    assert.deepEqual(await rules(lower(false), { kernel: '6.12' }), ['deleg/break-unlocked@f']);
  });

  const child = (locked: boolean) => `
static int f(const char *nodename, umode_t mode)
{
	struct dentry *dentry;
	struct path path;
	struct iattr newattrs;
	int err;

	dentry = kern_path_create(AT_FDCWD, nodename, &path, 0);
	if (dentry == ERR_PTR(-ENOENT)) {
		make_parents(nodename);
		dentry = kern_path_create(AT_FDCWD, nodename, &path, 0);
	}
	if (IS_ERR(dentry))
		return PTR_ERR(dentry);
	err = vfs_mknod(&nop_mnt_idmap, d_inode(path.dentry), dentry, mode, 0);
	if (!err) {
		newattrs.ia_mode = mode;
		newattrs.ia_valid = ATTR_MODE;
		${locked ? 'inode_lock(d_inode(dentry));' : ''}
		notify_change(&nop_mnt_idmap, dentry, &newattrs, NULL);
		${locked ? 'inode_unlock(d_inode(dentry));' : ''}
	}
	done_path_create(&path, dentry);
	return err;
}`;

  test("the locked parent is not the child under another name: the child's missing lock is reported", async () => {
    assert.deepEqual(await rules(child(true), { kernel: '6.12' }), []);
    assert.deepEqual(await rules(child(false), { kernel: '6.12' }), ['deleg/break-unlocked@f']);
  });

  const frozen = (freeze: boolean, locked: boolean) => `
__be32 f(struct svc_rqst *rqstp, struct svc_fh *fhp, char *name, void *buf, u32 len)
{
	int ret;

	${
    freeze
      ? `ret = fh_want_write(fhp);
	if (ret)
		return nfserrno(ret);`
      : ''
  }
	${locked ? 'inode_lock(fhp->fh_dentry->d_inode);' : ''}
	ret = __vfs_setxattr_locked(&nop_mnt_idmap, fhp->fh_dentry, name, buf, len, 0, NULL);
	${locked ? 'inode_unlock(fhp->fh_dentry->d_inode);' : ''}
	${freeze ? 'fh_drop_write(fhp);' : ''}
	return nfserrno(ret);
}`;

  test("after freeze protection (fh_want_write, mnt_want_write) no caller holds an inode lock: the lock is the function's", async () => {
    assert.deepEqual(await rules(frozen(true, true), { kernel: '6.12' }), []);
    assert.deepEqual(await rules(frozen(true, false), { kernel: '6.12' }), ['deleg/break-unlocked@f']);
  });

  test("without freeze protection the lock on a parameter's inode may be the caller's: nothing is reported here", async () => {
    assert.deepEqual(await rules(frozen(false, false), { kernel: '6.12' }), []);
  });
});

describe('a helper that returns a dentry whose parent start_removing() locked (6.19+)', () => {
  const code = (end: boolean) => `
static struct dentry *demo_start_removing(struct dentry *dentry)
{
	struct dentry *parent = dget_parent(dentry);
	struct dentry *ret;

	ret = start_removing_dentry(demo_lower(parent), demo_lower(dentry));
	dput(parent);
	return ret;
}

static int demo_unlink(struct inode *dir, struct dentry *dentry)
{
	struct dentry *lower_dentry;
	struct inode *lower_dir;
	int rc;

	lower_dentry = demo_start_removing(dentry);
	if (IS_ERR(lower_dentry))
		return PTR_ERR(lower_dentry);
	lower_dir = lower_dentry->d_parent->d_inode;
	rc = vfs_unlink(&nop_mnt_idmap, lower_dir, lower_dentry, NULL);
	${end ? 'end_removing(lower_dentry);' : ''}
	return rc;
}`;

  test('the lock travels with the returned dentry: end_removing() releases it', async () => {
    assert.deepEqual(await rules(code(true), { kernel: '6.19' }), []);
  });

  test('forgetting end_removing() leaves the parent locked', async () => {
    assert.deepEqual(await rules(code(false), { kernel: '6.19' }), ['lock/imbalance@demo_unlink']);
  });
});

describe('a wrapper of a helper that may sleep for a recall is read as that helper', () => {
  const code = (wrapped: 'setxattr' | 'break') => `
static int my_do_setxattr(struct dentry *dentry, const char *name, const void *value, size_t size)
{
${
  wrapped === 'setxattr'
    ? '\treturn vfs_setxattr(&nop_mnt_idmap, dentry, name, value, size, 0);'
    : '\treturn break_deleg(d_inode(dentry), O_WRONLY);'
}
}

int my_make_work(struct inode *dir, struct dentry *work)
{
	int err;

	inode_lock_nested(dir, I_MUTEX_PARENT);
	err = my_do_setxattr(work, "trusted.x", "y", 1);
	inode_unlock(dir);
	return err;
}`;

  test("vfs_setxattr() through a wrapper under the parent's lock counts as vfs_setxattr() called directly there", async () => {
    const direct = await rules(
      code('setxattr')
        .replace('my_do_setxattr(work,', 'vfs_setxattr(&nop_mnt_idmap, work,')
        .replace(', 1);\n\tinode_unlock(dir)', ', 1, 0);\n\tinode_unlock(dir)'),
    );
    assert.deepEqual(direct, []);
    assert.deepEqual(await rules(code('setxattr')), []);
    const a = await sharedAnalyzer();
    assert.equal(a.summariesOf('snippet.c', code('setxattr')).get('my_do_setxattr')?.sleeps?.blocking, false);
  });

  test('a wrapper that makes a blocking break itself is still blocking-break-locked under the lock', async () => {
    assert.deepEqual(await rules(code('break')), ['deleg/blocking-break-locked@my_make_work']);
  });
});

describe('an inode the function has just allocated', () => {
  const code = (get: string) => `
static void foo_init(struct inode *inode, struct dentry *dentry)
{
	__vfs_setxattr(&nop_mnt_idmap, dentry, inode, "user.x", NULL, 0, 0);
}

struct inode *foo_new(struct super_block *sb, struct dentry *dentry, unsigned long ino)
{
	struct inode *inode;

	inode = ${get};
	if (!inode)
		return ERR_PTR(-ENOMEM);
	foo_init(inode, dentry);
	__vfs_setxattr(&nop_mnt_idmap, dentry, inode, "user.y", NULL, 0, 0);
	return inode;
}`;

  test('new_inode(): nothing else can reach it yet, so no delegation can exist on it (directly or in a helper)', async () => {
    assert.deepEqual(await rules(code('new_inode(sb)')), []);
  });

  test('an inode looked up (ilookup) may be delegated: both changes are flagged', async () => {
    assert.deepEqual(await rules(code('ilookup(sb, ino)')), [
      'deleg/missing-break@foo_new',
      'deleg/missing-break@foo_new',
    ]);
  });

  test('writing a field of the new inode (`inode->i_mode = mode`) keeps it new', async () => {
    const src = code('new_inode(sb)').replace(
      '\tfoo_init(inode, dentry);\n',
      '\tinode->i_mode = S_IFREG | 0644;\n\tfoo_init(inode, dentry);\n',
    );
    assert.deepEqual(await rules(src), []);
  });

  test('the fact is about the variable: reassigned to a looked-up inode, the change is flagged again', async () => {
    const src = code('new_inode(sb)').replace(
      '\tfoo_init(inode, dentry);\n',
      '\tfoo_init(inode, dentry);\n\tinode = ilookup(sb, ino);\n',
    );
    assert.deepEqual(await rules(src), ['deleg/missing-break@foo_new']);
  });
});

describe('a field written between the break and the change', () => {
  const code = (write: string) => `
int foo_strip(struct dentry *dentry, struct inode **delegated_inode)
{
	struct inode *inode;
	int err;

	inode = d_inode(dentry);
	inode_lock(inode);
	err = try_break_deleg(inode, delegated_inode);
	if (err)
		goto out;
	${write}
	err = __vfs_removexattr(&nop_mnt_idmap, dentry, "user.x");
out:
	inode_unlock(inode);
	return err;
}`;

  test('`inode->i_flags |= S_NOATIME` leaves the delegation broken: the variable still names that inode', async () => {
    assert.deepEqual(await rules(code('inode->i_flags |= S_NOATIME;')), []);
  });
});

describe("a helper's change made only under a flag of its caller's attribute word", () => {
  // demo_setattr() removes an ACL xattr only when ATTR_MODE is set in the word it is handed.
  const code = (fill: string) => `
static int demo_setattr(struct dentry *dentry, struct iattr *attr)
{
	int error = 0;

	if (attr->ia_valid & ATTR_MODE)
		error = __vfs_removexattr(&nop_mnt_idmap, dentry, "system.posix_acl_access");
	return error;
}

int f(struct file *file, loff_t size)
{
	struct inode *inode = file_inode(file);
	struct iattr attr;
	int err;

${fill}
	inode_lock(inode);
	err = security_inode_setattr(&nop_mnt_idmap, file->f_path.dentry, &attr);
	if (!err)
		err = demo_setattr(file->f_path.dentry, &attr);
	inode_unlock(inode);
	return err;
}`;

  test('a word set without the flag: no change, whatever else is written around it', async () => {
    // A constant assigned to the word is its value (not another name), a write of another field or an `|=` of another
    // flag leaves the flag clear, and a permission hook handed &attr (catalogue permissionHooks) writes nothing.
    const fill = `	attr.ia_valid = ATTR_SIZE;
	attr.ia_size = size;
	attr.ia_file = file;
	attr.ia_valid |= ATTR_FILE;`;
    assert.deepEqual(await rules(code(fill), { kernel: '6.12' }), []);
    assert.deepEqual(
      await rules(code('\tattr.ia_valid = ATTR_SIZE | ATTR_MODE;\n\tattr.ia_valid &= ~ATTR_MODE;'), {
        kernel: '6.12',
      }),
      [],
    );
  });

  test('the flag set, or the word handed to an unknown helper, and the change is flagged', async () => {
    assert.deepEqual(
      await rules(code('\tattr.ia_valid = ATTR_SIZE;\n\tattr.ia_valid |= ATTR_MODE;'), { kernel: '6.12' }),
      ['deleg/missing-break@f'],
    );
    assert.deepEqual(await rules(code('\tattr.ia_valid = ATTR_SIZE;\n\tdemo_fill(&attr);'), { kernel: '6.12' }), [
      'deleg/missing-break@f',
    ]);
    // `&= mask` keeps only the flags of the mask.
    assert.deepEqual(
      await rules(code('\tattr.ia_valid = ATTR_SIZE | ATTR_MODE;\n\tattr.ia_valid &= (ATTR_SIZE | ATTR_MODE);'), {
        kernel: '6.12',
      }),
      ['deleg/missing-break@f'],
    );
    assert.deepEqual(
      await rules(code('\tattr.ia_valid = ATTR_SIZE | ATTR_MODE;\n\tattr.ia_valid &= ATTR_SIZE;'), {
        kernel: '6.12',
      }),
      [],
    );
  });

  test('a value the code does not spell out leaves the flag unknown, so the change stays charged', async () => {
    // `= valid`, `|= extra` and `&= mask` with unknown operands may carry ATTR_MODE: the word is not known to lack it.
    for (const fill of [
      '\tattr.ia_valid = size ? ATTR_SIZE : 0;\n\tattr.ia_valid = file->f_flags;',
      '\tattr.ia_valid = ATTR_SIZE;\n\tattr.ia_valid |= file->f_flags;',
    ])
      assert.deepEqual(await rules(code(fill), { kernel: '6.12' }), ['deleg/missing-break@f'], fill);
    // A constant of another family (`S_IFREG | 0644` is not an ATTR_ word) says nothing about ATTR_MODE either.
    assert.deepEqual(await rules(code('\tattr.ia_valid = S_IFREG | 0644;'), { kernel: '6.12' }), [
      'deleg/missing-break@f',
    ]);
    assert.deepEqual(await rules(code('\tattr.ia_valid = 0;'), { kernel: '6.12' }), []);
  });
});

describe('a flag only the kernel sets before notify_change() (catalogue flags.internal)', () => {
  const code = (flag: string) => `
static int demo_setattr(struct dentry *dentry, struct iattr *attr)
{
	int error = 0;

	if (attr->ia_valid & ${flag})
		error = __vfs_removexattr(&nop_mnt_idmap, dentry, "security.capability");
	return error;
}

int f(struct demo_request *rq)
{
	struct demo_args *argp = demo_args_of(rq);
	struct dentry *dentry = demo_lookup(rq);
	int err;

	inode_lock(d_inode(dentry));
	err = demo_setattr(dentry, &argp->attrs);
	inode_unlock(d_inode(dentry));
	return err;
}`;

  test('a decoded word of unknown content is not taken to carry ATTR_KILL_PRIV', async () => {
    assert.deepEqual(await rules(code('ATTR_KILL_PRIV'), { kernel: '6.12' }), []);
  });

  test('any other flag of an unknown word may be set: the change is flagged', async () => {
    assert.deepEqual(await rules(code('ATTR_MODE'), { kernel: '6.12' }), ['deleg/missing-break@f']);
  });
});

test('a change made under either of two flags: callers with neither are clean, with one are flagged', async () => {
  const code = (flags: string) => `
static int demo_setattr(struct dentry *dentry, struct iattr *attr)
{
	int error = 0;

	if (attr->ia_valid & ATTR_KILL_PRIV)
		error = __vfs_removexattr(&nop_mnt_idmap, dentry, "security.capability");
	if (!error && (attr->ia_valid & ATTR_MODE))
		error = __vfs_removexattr(&nop_mnt_idmap, dentry, "system.posix_acl_access");
	return error;
}

int f(struct dentry *dentry)
{
	struct iattr attr = { .ia_valid = ${flags} };
	int err;

	inode_lock(d_inode(dentry));
	err = demo_setattr(dentry, &attr);
	inode_unlock(d_inode(dentry));
	return err;
}`;
  assert.deepEqual(await rules(code('ATTR_SIZE'), { kernel: '6.12' }), []);
  assert.deepEqual(await rules(code('ATTR_MODE'), { kernel: '6.12' }), ['deleg/missing-break@f']);
  assert.deepEqual(await rules(code('ATTR_SIZE | ATTR_KILL_PRIV'), { kernel: '6.12' }), ['deleg/missing-break@f']);
});

test("an LSM permission hook's own xattr bookkeeping is not its caller's change (catalogue permissionHooks)", async () => {
  const code = (hook: string) => `
int ${hook}(struct dentry *dentry, struct iattr *attr)
{
	/* EVM-style: refresh the security xattr while checking */
	return __vfs_setxattr_noperm(&nop_mnt_idmap, dentry, "security.evm", NULL, 0, 0);
}

int f(struct dentry *dentry, struct iattr *attr, struct inode **delegated_inode)
{
	struct inode *inode = d_inode(dentry);
	int error;

	WARN_ON_ONCE(!inode_is_locked(inode));
	error = ${hook}(dentry, attr);
	if (error)
		return error;
	error = try_break_deleg(inode, delegated_inode);
	if (error)
		return error;
	return inode->i_op->setattr(&nop_mnt_idmap, dentry, attr);
}`;
  assert.deepEqual(await rules(code('security_inode_setattr'), { kernel: '6.12' }), []);
  assert.deepEqual(await rules(code('demo_check_and_refresh'), { kernel: '6.12' }), ['deleg/missing-break@f']);
});

test("a catalogued API's static helper that breaks without the lock: the API has no caller to hand it to", async () => {
  const code = (lock: boolean) => `
static int demo_rename_other(struct inode *old_dir, struct dentry *old_dentry,
			     struct inode *new_dir, struct dentry *new_dentry,
			     struct inode **delegated_inode)
{
	struct inode *source = old_dentry->d_inode;
	struct inode *target = new_dentry->d_inode;
	int error;

	${lock ? 'lock_two_nondirectories(source, target);' : ''}
	error = try_break_deleg(source, delegated_inode);
	if (!error && target)
		error = try_break_deleg(target, delegated_inode);
	if (!error)
		error = old_dir->i_op->rename(old_dir, old_dentry, new_dir, new_dentry);
	${lock ? 'unlock_two_nondirectories(source, target);' : ''}
	return error;
}

int vfs_rename(struct inode *old_dir, struct dentry *old_dentry,
	       struct inode *new_dir, struct dentry *new_dentry,
	       struct inode **delegated_inode)
{
	if (d_is_dir(old_dentry))
		return -EISDIR;
	return demo_rename_other(old_dir, old_dentry, new_dir, new_dentry, delegated_inode);
}`;
  assert.deepEqual(await rules(code(true), { kernel: '3.13' }), []);
  // One for each inode the helper breaks unlocked (source and target).
  assert.deepEqual(await rules(code(false), { kernel: '3.13' }), [
    'deleg/break-unlocked@vfs_rename',
    'deleg/break-unlocked@vfs_rename',
  ]);
});

test('a function the catalogue describes takes the locks its body needs itself (callers read the catalogue)', async () => {
  const code = (lock: boolean) => `
int do_truncate(struct mnt_idmap *idmap, struct dentry *dentry, loff_t length, unsigned int time_attrs,
		struct file *filp)
{
	struct iattr newattrs;
	int ret;

	newattrs.ia_size = length;
	newattrs.ia_valid = ATTR_SIZE | time_attrs;
	${lock ? 'inode_lock(dentry->d_inode);' : ''}
	ret = notify_change(idmap, dentry, &newattrs, NULL);
	${lock ? 'inode_unlock(dentry->d_inode);' : ''}
	return ret;
}`;
  assert.deepEqual(await rules(code(true), { kernel: '6.12' }), []);
  assert.deepEqual(await rules(code(false), { kernel: '6.12' }), ['deleg/break-unlocked@do_truncate']);
});

test('the body of a catalogued non-blocking break leaves the inode lock to its callers, as its entry does', async () => {
  // Written for this test, in the shape of a header's static inline wrapper: the catalogue's try_break_deleg entry
  // holds every caller to the inode's exclusive lock, so its own body is not a call made without it.
  const wrapper = (name: string) => `
static inline int ${name}(struct inode *inode, struct inode **delegated_inode)
{
	int ret;

	ret = break_deleg(inode, O_WRONLY|O_NONBLOCK);
	if (ret == -EWOULDBLOCK && delegated_inode) {
		*delegated_inode = inode;
		ihold(inode);
	}
	return ret;
}`;
  assert.deepEqual(await rules(wrapper('try_break_deleg'), { kernel: '6.12' }), []);
  // Its callers are still held to it: a call without the lock is reported at the call.
  const caller = `
int only_caller(struct super_block *sb, unsigned long ino)
{
	struct inode *inode = ilookup(sb, ino);
	int err = try_break_deleg(inode, NULL);

	iput(inode);
	return err;
}`;
  assert.deepEqual(await rules(wrapper('try_break_deleg') + caller, { kernel: '6.12' }), [
    'deleg/break-unlocked@only_caller',
  ]);
  assert.deepEqual(await rules(caller, { kernel: '6.12' }), ['deleg/break-unlocked@only_caller']);
  // A described function whose entry says nothing of that lock keeps the requirement in its body (do_truncate above).
});
