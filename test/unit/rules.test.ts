/**
 * Each rule on small kernel-style snippets written for these tests: a positive case (must be flagged), a negative
 * case (the correct idiom, must be clean) and tricky cases (paths, aliases, eras).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { check, rules, warnings } from '../helpers/snippet';

describe('deleg/missing-break', () => {
  test('setattr under the inode lock without a break is flagged', async () => {
    const r = await rules(`
int f(struct dentry *dentry, struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	int error;
	inode_lock(inode);
	error = inode->i_op->setattr(&nop_mnt_idmap, dentry, attr);
	inode_unlock(inode);
	return error;
}`);
    assert.deepEqual(r, ['deleg/missing-break@f']);
  });

  test('the same with try_break_deleg under the lock is clean', async () => {
    const r = await rules(`
int f(struct dentry *dentry, struct iattr *attr, struct delegated_inode *di)
{
	struct inode *inode = d_inode(dentry);
	int error;
	inode_lock(inode);
	error = try_break_deleg(inode, di);
	if (error)
		goto out;
	error = inode->i_op->setattr(&nop_mnt_idmap, dentry, attr);
out:
	inode_unlock(inode);
	return error;
}`);
    assert.deepEqual(r, []);
  });

  test('a break on only one branch leaves the other path flagged', async () => {
    const r = await rules(`
int f(struct inode *dir, struct dentry *dentry, struct inode **di, int fast)
{
	struct inode *target = dentry->d_inode;
	int error = 0;
	inode_lock(target);
	if (!fast)
		error = try_break_deleg(target, di);
	if (!error)
		error = dir->i_op->unlink(dir, dentry);
	inode_unlock(target);
	return error;
}`);
    assert.deepEqual(r, ['deleg/missing-break@f']);
  });

  test('an alias of the inode through a local and d_inode() is the same inode', async () => {
    const r = await rules(`
int f(struct inode *dir, struct dentry *victim, struct inode **di)
{
	struct inode *t = victim->d_inode;
	int error;
	inode_lock(d_inode(victim));
	error = try_break_deleg(t, di);
	if (!error)
		error = dir->i_op->unlink(dir, victim);
	inode_unlock(t);
	return error;
}`);
    assert.deepEqual(r, []);
  });

  test('renaming a directory needs no file-delegation break (before 6.19 delegations were files-only)', async () => {
    const r = await rules(`
int f(struct inode *old_dir, struct dentry *old_dentry, struct inode *new_dir, struct dentry *new_dentry, struct inode **di)
{
	bool is_dir = d_is_dir(old_dentry);
	struct inode *source = old_dentry->d_inode;
	int error = 0;
	if (!is_dir) {
		inode_lock(source);
		error = try_break_deleg(source, di);
	}
	if (!error)
		error = old_dir->i_op->rename(old_dir, old_dentry, new_dir, new_dentry, 0);
	if (!is_dir)
		inode_unlock(source);
	return error;
}`);
    assert.deepEqual(r, []);
  });

  test('ATTR_DELEG: a setattr on behalf of the delegation holder needs no break', async () => {
    const r = await rules(`
int f(struct dentry *dentry, struct iattr *attr, struct delegated_inode *di)
{
	struct inode *inode = dentry->d_inode;
	unsigned int ia_valid = attr->ia_valid;
	int error;
	WARN_ON_ONCE(!inode_is_locked(inode));
	if (!(ia_valid & ATTR_DELEG)) {
		error = try_break_deleg(inode, di);
		if (error)
			return error;
	}
	return inode->i_op->setattr(&nop_mnt_idmap, dentry, attr);
}`);
    assert.deepEqual(r, []);
  });

  test("a static helper that changes its caller's inode passes the obligation to the caller", async () => {
    const r = await rules(`
static int do_set(struct dentry *d, const char *name)
{
	return d->d_inode->i_op->removexattr(d, name);
}
int f(struct dentry *dentry, const char *name)
{
	struct inode *inode = dentry->d_inode;
	int error;
	inode_lock(inode);
	error = do_set(dentry, name);
	inode_unlock(inode);
	return error;
}`);
    assert.deepEqual(r, ['deleg/missing-break@f']);
  });
});

describe('deleg/break-unlocked', () => {
  test('try_break_deleg without the inode lock is flagged', async () => {
    const r = await rules(`
int f(struct inode *dir, struct dentry *dentry, struct inode **di)
{
	struct inode *target = dentry->d_inode;
	int error = try_break_deleg(target, di);
	if (error)
		return error;
	inode_lock(target);
	error = dir->i_op->unlink(dir, dentry);
	inode_unlock(target);
	return error;
}`);
    assert.ok(r.includes('deleg/break-unlocked@f'), r.join());
  });

  test('dropping and retaking the lock between break and change is flagged', async () => {
    const r = await rules(`
int f(struct dentry *old, struct inode *dir, struct dentry *new, struct inode **di)
{
	struct inode *inode = old->d_inode;
	int error;
	inode_lock(inode);
	error = try_break_deleg(inode, di);
	inode_unlock(inode);
	if (error)
		return error;
	inode_lock(inode);
	error = dir->i_op->link(old, dir, new);
	inode_unlock(inode);
	return error;
}`);
    assert.deepEqual(r, ['deleg/break-unlocked@f']);
  });

  test('a shared lock does not serialise against a grant', async () => {
    const r = await rules(`
int f(struct dentry *dentry, struct iattr *attr, struct inode **di)
{
	struct inode *inode = dentry->d_inode;
	int error;
	inode_lock_shared(inode);
	error = try_break_deleg(inode, di);
	if (!error)
		error = simple_setattr(&nop_mnt_idmap, dentry, attr);
	inode_unlock_shared(inode);
	return error;
}`);
    assert.ok(r.includes('deleg/break-unlocked@f'), r.join());
  });

  test("a caller that owns the wait-and-retry must hold notify_change's inode lock", async () => {
    const r = await rules(`
int f(struct path *path, struct iattr *attr)
{
	struct inode *delegated_inode = NULL;
	int error;
retry_deleg:
	error = notify_change(&nop_mnt_idmap, path->dentry, attr, &delegated_inode);
	if (delegated_inode) {
		error = break_deleg_wait(&delegated_inode);
		if (!error)
			goto retry_deleg;
	}
	return error;
}`);
    assert.deepEqual(r, ['deleg/break-unlocked@f']);
  });
});

describe('deleg/blocking-break-locked', () => {
  test('break_deleg_wait with the parent still locked is flagged', async () => {
    const r = await rules(`
int f(struct inode *dir, struct dentry *dentry)
{
	struct inode *delegated_inode = NULL;
	int error;
retry:
	inode_lock_nested(dir, I_MUTEX_PARENT);
	error = vfs_unlink(&nop_mnt_idmap, dir, dentry, &delegated_inode);
	if (delegated_inode) {
		error = break_deleg_wait(&delegated_inode);
		if (!error) {
			inode_unlock(dir);
			goto retry;
		}
	}
	inode_unlock(dir);
	return error;
}`);
    assert.deepEqual(r, ['deleg/blocking-break-locked@f']);
  });

  test('break_lease without O_NONBLOCK under a spinlock is flagged; with O_NONBLOCK it is not', async () => {
    const bad = await rules(`
int f(struct inode *inode, spinlock_t *l)
{
	int error;
	spin_lock(l);
	error = break_lease(inode, O_WRONLY);
	spin_unlock(l);
	return error;
}`);
    assert.deepEqual(bad, ['deleg/blocking-break-locked@f']);
    const good = await rules(`
int f(struct inode *inode, spinlock_t *l)
{
	int error;
	spin_lock(l);
	error = break_lease(inode, O_WRONLY | O_NONBLOCK);
	spin_unlock(l);
	return error;
}`);
    assert.deepEqual(good, []);
  });

  test('6.19 flags: break_deleg(inode, 0) blocks, LEASE_BREAK_NONBLOCK does not', async () => {
    const src = (flags: string) => `
int f(struct inode *inode)
{
	int error;
	inode_lock(inode);
	error = break_deleg(inode, ${flags});
	inode_unlock(inode);
	return error;
}`;
    assert.deepEqual(await rules(src('0')), ['deleg/blocking-break-locked@f']);
    assert.deepEqual(await rules(src('LEASE_BREAK_NONBLOCK')), []);
  });

  test('calling an in-file function that waits, with a lock held, is flagged at the call', async () => {
    const r = await rules(`
static int wait_it(struct inode **di)
{
	return break_deleg_wait(di);
}
int f(struct inode *inode, struct inode **di)
{
	int error;
	inode_lock(inode);
	error = wait_it(di);
	inode_unlock(inode);
	return error;
}`);
    assert.ok(r.includes('deleg/blocking-break-locked@f'), r.join());
  });
});

describe('deleg/unhandled-delegated-inode', () => {
  test('passing &delegated_inode without ever waiting is flagged', async () => {
    const r = await rules(`
int f(struct path *path, struct iattr *attr)
{
	struct inode *inode = path->dentry->d_inode;
	struct inode *delegated_inode = NULL;
	int error;
	inode_lock(inode);
	error = notify_change(&nop_mnt_idmap, path->dentry, attr, &delegated_inode);
	inode_unlock(inode);
	return error;
}`);
    assert.deepEqual(r, ['deleg/unhandled-delegated-inode@f']);
  });

  test('the 3.13 wait-and-retry idiom is clean', async () => {
    const r = await rules(`
int f(struct path *path, struct iattr *attr)
{
	struct inode *inode = path->dentry->d_inode;
	struct inode *delegated_inode = NULL;
	int error;
retry_deleg:
	inode_lock(inode);
	error = notify_change(&nop_mnt_idmap, path->dentry, attr, &delegated_inode);
	inode_unlock(inode);
	if (delegated_inode) {
		error = break_deleg_wait(&delegated_inode);
		if (!error)
			goto retry_deleg;
	}
	return error;
}`);
    assert.deepEqual(r, []);
  });

  test('the 6.19 is_delegated() idiom is clean; waiting without retrying is flagged', async () => {
    const body = (tail: string) => `
int f(struct path *path, struct iattr *attr)
{
	struct inode *inode = path->dentry->d_inode;
	struct delegated_inode delegated_inode = { };
	int error;
retry:
	inode_lock(inode);
	error = notify_change(&nop_mnt_idmap, path->dentry, attr, &delegated_inode);
	inode_unlock(inode);
	if (is_delegated(&delegated_inode)) {
		error = break_deleg_wait(&delegated_inode);
		${tail}
	}
	return error;
}`;
    assert.deepEqual(await rules(body('if (!error) goto retry;')), []);
    assert.deepEqual(await rules(body('')), ['deleg/unhandled-delegated-inode@f']);
  });

  test('vfs_rename through renamedata.delegated_inode', async () => {
    const r = await rules(
      `
int f(struct renamedata *tmpl)
{
	struct renamedata rd = *tmpl;
	struct inode *delegated_inode = NULL;
	struct dentry *trap;
	int error;
	rd.delegated_inode = &delegated_inode;
	trap = lock_rename(rd.new_dir_dentry, rd.old_dir_dentry);
	if (IS_ERR(trap))
		return PTR_ERR(trap);
	error = vfs_rename(&rd);
	unlock_rename(rd.new_dir_dentry, rd.old_dir_dentry);
	return error;
}`,
      { kernel: '6.12' },
    );
    assert.ok(r.includes('deleg/unhandled-delegated-inode@f'), r.join());
  });
});

describe('deleg/dir-missing-break', () => {
  const mkdir = `
int f(struct mnt_idmap *idmap, struct inode *dir, struct dentry *dentry, umode_t mode, struct delegated_inode *di)
{
	int error;
	WARN_ON_ONCE(!inode_is_locked(dir));
	BREAK
	return dir->i_op->mkdir(idmap, dir, dentry, mode);
}`;
  test('6.19 code creating an entry without breaking the parent is flagged', async () => {
    assert.deepEqual(await rules(mkdir.replace('BREAK', '')), ['deleg/dir-missing-break@f']);
  });
  test('with try_break_deleg(dir) it is clean', async () => {
    assert.deepEqual(
      await rules(mkdir.replace('BREAK', 'error = try_break_deleg(dir, di); if (error) return error;')),
      [],
    );
  });
  test('pre-6.19 code is not held to the directory rule unless --kernel 6.19', async () => {
    const old = mkdir.replace('struct delegated_inode *di', 'struct inode **di').replace('BREAK', '');
    assert.deepEqual(await rules(old), []);
    assert.deepEqual(await rules(old, { kernel: '6.19' }), ['deleg/dir-missing-break@f']);
  });
  test('an untested (overwritten) result of the parent break is flagged', async () => {
    assert.deepEqual(await rules(mkdir.replace('BREAK', 'error = try_break_deleg(dir, di);')), [
      'deleg/dir-missing-break@f',
    ]);
  });
  const viaHelper = (helperBody: string) => `
static int brk(struct inode *dir, struct delegated_inode *di)
{
${helperBody}
}

static int create_in(struct inode *dir, struct dentry *dentry, umode_t mode, struct delegated_inode *di)
{
	int error;

	error = brk(dir, di);
	if (error)
		return error;
	return dir->i_op->create(&nop_mnt_idmap, dir, dentry, mode, true);
}

int do_create(struct path *path, struct dentry *dentry, umode_t mode)
{
	struct delegated_inode di = { };
	struct inode *dir = path->dentry->d_inode;
	int error;
retry:
	inode_lock(dir);
	error = create_in(dir, dentry, mode, &di);
	inode_unlock(dir);
	if (is_delegated(&di)) {
		error = break_deleg_wait(&di);
		if (!error)
			goto retry;
	}
	return error;
}`;
  test('refactor: the parent break in a helper, called under the lock a caller took, is credited', async () => {
    assert.deepEqual(await rules(viaHelper('\treturn try_break_deleg(dir, di);')), []);
  });
  test('the same helper with its break deleted leaves the change unbroken', async () => {
    const r = await rules(viaHelper('\treturn 0;'));
    assert.ok(
      r.some((x) => x.startsWith('deleg/dir-missing-break@')),
      r.join(),
    );
  });
});

describe('lease/grant-unserialized', () => {
  const grant = (lock: string, recheck: string) => `
static int add(struct file *filp, int arg, struct file_lease **flp)
{
	struct file_lease *lease = *flp;
	struct inode *inode = file_inode(filp);
	bool is_deleg = lease->c.flc_flags & FL_DELEG;
	struct file_lock_context *ctx = locks_get_lock_context(inode, arg);
	int error;
	${lock}
	spin_lock(&ctx->flc_lock);
	error = check_conflicting_open(filp, arg, lease->c.flc_flags);
	if (error)
		goto out;
	locks_insert_lock_ctx(&lease->c, &ctx->flc_lease);
	${recheck}
out:
	spin_unlock(&ctx->flc_lock);
	if (is_deleg)
		inode_unlock(inode);
	return error;
}`;
  const trylock = 'if (is_deleg && !inode_trylock(inode)) return -EAGAIN;';
  const recheck =
    'smp_mb(); error = check_conflicting_open(filp, arg, lease->c.flc_flags); if (error) locks_unlink_lock_ctx(&lease->c);';
  test('the correct grant (trylock for delegations, re-check after insertion) is clean', async () => {
    assert.deepEqual(await rules(grant(trylock, recheck)), []);
  });
  test('a delegation inserted without inode_trylock is flagged', async () => {
    assert.ok((await rules(grant('', recheck))).includes('lease/grant-unserialized@add'));
  });
  test('no re-check after insertion is flagged', async () => {
    assert.deepEqual(await rules(grant(trylock, '')), ['lease/grant-unserialized@add']);
  });
});

describe('lease/open-missing-break', () => {
  const open = (beforeAccess: string, afterAccess: string) => `
static int do_open(struct file *f, int (*open)(struct inode *, struct file *))
{
	struct inode *inode = f->f_path.dentry->d_inode;
	int error;
	${beforeAccess}
	error = get_write_access(inode);
	if (error)
		return error;
	${afterAccess}
	if (!open)
		open = f->f_op->open;
	if (open) {
		error = open(inode, f);
		if (error)
			goto cleanup;
	}
	return 0;
cleanup:
	put_write_access(inode);
	return error;
}`;
  const brk = 'error = break_lease(file_inode(f), f->f_flags); if (error) goto cleanup;';
  test('write access then break_lease then ->open is clean', async () => {
    assert.deepEqual(await rules(open('', brk)), []);
  });
  test('->open with write access and no break_lease is flagged', async () => {
    assert.deepEqual(await rules(open('', '')), ['lease/open-missing-break@do_open']);
  });
  test('break_lease before taking write access is flagged', async () => {
    const r = await rules(open('error = break_lease(inode, f->f_flags); if (error) return error;', ''));
    assert.ok(r.includes('lease/open-missing-break@do_open'), r.join());
  });

  const helper = (body: string) => `
static int open_break(struct inode *inode, unsigned int mode)
{
${body}
}
`;
  const viaHelper = 'error = open_break(inode, f->f_flags); if (error) goto cleanup;';
  test('refactor: break_lease() moved into a static helper that always breaks is credited at the call', async () => {
    assert.deepEqual(await rules(helper('\treturn break_lease(inode, mode);') + open('', viaHelper)), []);
  });
  test('a helper that breaks on some paths only is not credited', async () => {
    assert.deepEqual(
      await rules(
        helper('\tif (mode & O_NONBLOCK)\n\t\treturn 0;\n\treturn break_lease(inode, mode);') + open('', viaHelper),
      ),
      ['lease/open-missing-break@do_open'],
    );
  });
  test('a helper whose break was deleted is not credited', async () => {
    assert.deepEqual(await rules(helper('\treturn 0;') + open('', viaHelper)), ['lease/open-missing-break@do_open']);
  });
});

/**
 * A rename helper (the change is its), a lookup helper, and a lock helper that returns holding a lock it only looked
 * up under (clean): for the tests of leaks after a change made through a helper.
 */
const RENAME_HELPERS = `
static int my_do_rename(struct renamedata *rd)
{
	return vfs_rename(rd);
}

static struct dentry *my_lookup(struct dentry *dir, const char *name)
{
	return lookup_one_len(name, dir, strlen(name));
}

struct dentry *lock_and_find(struct dentry *dir, const char *name)
{
	struct dentry *d;

	inode_lock(d_inode(dir));
	d = my_lookup(dir, name);
	if (IS_ERR(d))
		inode_unlock(d_inode(dir));
	return d;
}
`;

describe('lock/imbalance', () => {
  test('an error path returning with the inode locked is flagged', async () => {
    const r = await rules(`
int f(struct inode *inode, unsigned int flags)
{
	inode_lock(inode);
	if (IS_IMMUTABLE(inode))
		return -EPERM;
	inode->i_flags = flags;
	inode_unlock(inode);
	return 0;
}`);
    assert.deepEqual(r, ['lock/imbalance@f']);
  });
  test('a function returning locked on success and unlocked on error is a lock helper, not a leak', async () => {
    const r = await rules(`
static struct dentry *lock_child(struct dentry *parent, struct qstr *name)
{
	struct dentry *d;
	inode_lock_nested(parent->d_inode, I_MUTEX_PARENT);
	d = lookup_one_qstr_excl(name, parent, 0);
	if (IS_ERR(d))
		inode_unlock(parent->d_inode);
	return d;
}`);
    assert.deepEqual(r, []);
  });
  test('a lock held on every return after a change made under it is a leak, not a lock helper', async () => {
    const body = (unlock: string) => `
int f(struct dentry *dentry, struct iattr *attr)
{
	int error;
	inode_lock(dentry->d_inode);
	error = notify_change(&nop_mnt_idmap, dentry, attr, NULL);
	${unlock}
	return error;
}`;
    assert.deepEqual(await rules(body('inode_unlock(dentry->d_inode);')), []);
    const leak = (await check(body(''))).filter((f) => f.ruleId === 'lock/imbalance');
    assert.equal(leak.length, 1);
    assert.match(
      leak[0].message,
      /still locked \(taken by inode_lock\) on every path, after changing the inode under it/,
    );
  });
  test('taking an inode lock this path already holds is flagged where it is taken again', async () => {
    // A retry loop whose unlock was dropped: the second pass waits for the lock the first pass kept.
    const body = (unlock: string) => `
static int f(struct inode *dir, struct dentry *d)
{
	int err;
retry:
	inode_lock(dir);
	err = foo(d);
	if (err == -EAGAIN) {
		${unlock}
		goto retry;
	}
	inode_unlock(dir);
	return err;
}`;
    assert.deepEqual(await rules(body('inode_unlock(dir);')), []);
    const twice = (await check(body(''))).filter((f) => f.ruleId === 'lock/imbalance');
    assert.equal(twice.length, 1);
    assert.match(twice[0].message, /^f: inode_lock takes dir's lock, which this path already holds\./);
    assert.equal(twice[0].related[0]?.message, 'dir locked here (inode_lock)');
  });
  test('a change made through a helper counts as use of the lock: keeping it afterwards is a leak', async () => {
    // ovl_create_index()'s shape (6.19): the rename is a static helper's, which requires the lock for a change;
    // lock_and_find() returns holding a lock it only looked up under, a lock helper, and stays clean.
    const code = `
${RENAME_HELPERS}
int move_it(struct dentry *dir, struct dentry *temp, struct qstr *name)
{
	struct renamedata rd = {};
	int err;

	rd.old_parent = dir;
	rd.new_parent = dir;
	err = start_renaming_dentry(&rd, 0, temp, name);
	if (err)
		goto out;
	err = my_do_rename(&rd);
	end_renaming(&rd);
out:
	if (err)
		my_cleanup(dir, temp);
	dput(temp);
	return err;
}

`;
    const v = { kernel: '6.19' } as const;
    assert.deepEqual(await rules(code, v), []);
    const kept = await warnings(code.replace('\tend_renaming(&rd);\n', ''), v);
    assert.deepEqual(
      kept.map((f) => `${f.ruleId}@${f.function}`),
      ['lock/imbalance@move_it'],
    );
    assert.match(
      kept[0].message,
      /^move_it: returns with d_inode\(dir\) still locked \(taken by start_renaming_dentry\) on its successful paths, after changing the inode under it\./,
    );
  });
  test('lock_rename() left held is one missing unlock_rename(): reported once, by the directory lock', async () => {
    // It takes the directories' locks and the rename lock in one call; the rename lock was reported beside the
    // directory's, under its internal name (`@s_vfs_rename_mutex`), with a message about inode locks.
    const code = `
${RENAME_HELPERS}
int move_it(struct dentry *dir, struct dentry *from, struct dentry *to)
{
	struct renamedata rd = {};
	struct dentry *trap;
	int err;

	trap = lock_rename(dir, dir);
	if (IS_ERR(trap))
		return PTR_ERR(trap);
	rd.old_dir = d_inode(dir);
	rd.old_dentry = from;
	rd.new_dir = d_inode(dir);
	rd.new_dentry = to;
	err = my_do_rename(&rd);
	if (err)
		dput(to);
	return err;
}

`;
    const w = await warnings(code, { kernel: '6.12' });
    assert.deepEqual(
      w.map((f) => `${f.ruleId}@${f.function}`),
      ['lock/imbalance@move_it'],
    );
    assert.match(w[0].message, /^move_it: returns with d_inode\(dir\) still locked \(taken by lock_rename\)/);
  });
  test('an accessor between the two acquisitions hides nothing: d_inode(dir) releases no lock', async () => {
    // `d_inode(dir)` was counted as handing dir to a function the analysis knows nothing of, which might release it.
    const code = `
static int f(struct dentry *dir, struct dentry *other)
{
	struct dentry *trap;

	trap = lock_rename(dir, other);
	if (IS_ERR(trap))
		return PTR_ERR(trap);
	inode_lock(d_inode(dir));
	inode_unlock(d_inode(dir));
	unlock_rename(dir, other);
	return 0;
}`;
    const w = (await check(code)).filter((f) => f.ruleId === 'lock/imbalance');
    assert.equal(w.length, 1);
    assert.match(w[0].message, /^f: inode_lock takes d_inode\(dir\)'s lock, which this path already holds\./);
    // A call the analysis knows nothing of, given the directory, may have released it: no claim then.
    assert.deepEqual(
      await rules(code.replace('\tinode_lock(d_inode(dir));', '\tmystery(dir);\n\tinode_lock(d_inode(dir));')),
      [],
    );
  });
  test('unlock_rename must release the rename lock, except when its two directories are one', async () => {
    const body = (release: string) => `
void unlock_rename(struct dentry *p1, struct dentry *p2)
{
	inode_unlock(p1->d_inode);
	if (p1 != p2) {
		inode_unlock(p2->d_inode);
		${release}
	}
}`;
    assert.deepEqual(await rules(body('mutex_unlock(&p1->d_sb->s_vfs_rename_mutex);'), { kernel: '6.12' }), []);
    const kept = (await check(body(''), { kernel: '6.12' })).filter((f) => f.ruleId === 'lock/imbalance');
    assert.equal(kept.length, 1);
    assert.match(kept[0].message, /^unlock_rename: returns with the rename lock \(s_vfs_rename_mutex\) still held/);
  });
  test('an nfsd status error (nfserr_*) returned with the lock held is a failing return', async () => {
    const body = (unlock: string) => `
__be32 f(struct svc_rqst *rqstp, struct svc_fh *fhp, int *lenp)
{
	__be32 err;
	struct inode *inode;
	err = fh_verify(rqstp, fhp, 0, NFSD_MAY_READ);
	if (err)
		return err;
	err = nfs_ok;
	inode = d_inode(fhp->fh_dentry);
	inode_lock_shared(inode);
	if (*lenp < 0) {
		err = nfserr_toosmall;
		goto out;
	}
	*lenp = read_something(inode);
out:
	${unlock}
	return err;
}`;
    assert.deepEqual(await rules(body('inode_unlock_shared(inode);')), []);
    const leak = (await check(body(''))).filter((f) => f.ruleId === 'lock/imbalance');
    assert.equal(leak.length, 1);
    // The path without the lock returned before taking it: nothing "releases it" there.
    assert.match(leak[0].message, /^f: fails with inode still locked \(taken by inode_lock_shared\) on this path\./);
  });
  test('nfserrno() of an errno known to be nonzero is a failing return (catalogue statusOf)', async () => {
    const body = (unlock: string) => `
__be32 f(struct svc_fh *fhp, int n)
{
	int host_err;
	struct inode *inode = d_inode(fhp->fh_dentry);
	inode_lock(inode);
	host_err = read_some(inode, n);
	if (host_err) {
		${unlock}
		return nfserrno(host_err);
	}
	inode_unlock(inode);
	return nfs_ok;
}`;
    assert.deepEqual(await rules(body('inode_unlock(inode);')), []);
    const leak = (await check(body(''))).filter((f) => f.ruleId === 'lock/imbalance');
    assert.equal(leak.length, 1);
    assert.match(
      leak[0].message,
      /^f: returns with inode still locked \(taken by inode_lock\) on this path, while other paths release it\./,
    );
  });
  test('a trylock, two shared holds, or a call that may release the lock in between are not a second acquire', async () => {
    const r = await rules(`
void other_file_put_dir(struct dentry *dir);
static int f(struct inode *a, struct inode *b, struct dentry *dir)
{
	inode_lock_shared(a);
	inode_lock_shared(a);
	inode_unlock_shared(a);
	inode_unlock_shared(a);
	inode_lock(b);
	if (inode_trylock(b))
		inode_unlock(b);
	inode_unlock(b);
	inode_lock(d_inode(dir));
	other_file_put_dir(dir);
	inode_lock(d_inode(dir));
	inode_unlock(d_inode(dir));
	return 0;
}`);
    assert.deepEqual(r, []);
  });
  test('a catalogued API releasing a lock its contract does not give it is flagged, and its break is unlocked', async () => {
    // vfs_unlink's contract: the caller holds dir's lock, not the victim's; this body forgot to take the victim's.
    const r = await rules(
      `
int vfs_unlink(struct mnt_idmap *idmap, struct inode *dir, struct dentry *dentry, struct inode **delegated_inode)
{
	struct inode *target = dentry->d_inode;
	int error;
	error = try_break_deleg(target, delegated_inode);
	if (!error)
		error = dir->i_op->unlink(dir, dentry);
	inode_unlock(target);
	return error;
}`,
      { kernel: '6.12' },
    );
    assert.deepEqual(r, [
      'deleg/break-unlocked@vfs_unlink',
      'deleg/break-unlocked@vfs_unlink',
      'lock/imbalance@vfs_unlink',
    ]);
  });
  test("an undocumented helper releasing its caller's lock is analysed with that lock held on entry", async () => {
    const r = await rules(
      `
int bury(struct inode *dir, struct dentry *victim, struct inode **delegated_inode)
{
	int error = vfs_unlink(&nop_mnt_idmap, dir, victim, delegated_inode);
	inode_unlock(dir);
	return error;
}`,
      { kernel: '6.12' },
    );
    assert.deepEqual(r, []);
  });
  test('a release skipped when a callee reports (through &flag) that it released the lock is not a leak', async () => {
    const body = (inline: string) => `
int f(struct inode *inode, int inline_data)
{
	bool unlocked = false;
	int ret;
	inode_lock_shared(inode);
	if (inline_data) {
		${inline}
		if (ret < 0) {
			if (!unlocked)
				inode_unlock_shared(inode);
			return -EIO;
		}
	}
	inode_unlock_shared(inode);
	return 0;
}`;
    // read_inline() (another file) may drop the lock and set `unlocked`: nothing here can tell.
    assert.deepEqual(await rules(body('ret = read_inline(inode, &unlocked);')), []);
    // Setting the flag without releasing is an ordinary leak on the error path.
    assert.deepEqual(await rules(body('ret = -EIO;\n\t\tunlocked = true;')), ['lock/imbalance@f']);
  });
  test('a wait-and-retry loop that releases a lock it never took is not given the benefit of a caller-held lock', async () => {
    const r = await check(
      `
int f(struct dentry *dentry, struct iattr *attr)
{
	struct inode *inode = dentry->d_inode;
	struct inode *delegated_inode = NULL;
	int error;
retry_deleg:
	error = notify_change(&nop_mnt_idmap, dentry, attr, &delegated_inode);
	inode_unlock(inode);
	if (delegated_inode) {
		error = break_deleg_wait(&delegated_inode);
		if (!error)
			goto retry_deleg;
	}
	return error;
}`,
      { kernel: '6.12' },
    );
    assert.deepEqual(
      r
        .filter((f) => f.severity !== 'info')
        .map((f) => f.ruleId)
        .sort(),
      ['deleg/break-unlocked', 'lock/imbalance'],
    );
    assert.match(
      r.find((f) => f.ruleId === 'lock/imbalance')!.message,
      /never took and its caller cannot be holding either/,
    );
  });
  test('a documented releaser must release what its callers hand it, except a NULL or an aliased inode', async () => {
    const body = (second: string) => `
void unlock_two_nondirectories(struct inode *inode1, struct inode *inode2)
{
	if (inode1)
		inode_unlock(inode1);
	if (inode2 && inode2 != inode1)
		${second}
}`;
    assert.deepEqual(await rules(body('inode_unlock(inode2);')), []);
    const r = await check(body('WARN_ON_ONCE(S_ISDIR(inode2->i_mode));'));
    assert.deepEqual(
      r.filter((f) => f.severity !== 'info').map((f) => f.ruleId),
      ['lock/imbalance'],
    );
    assert.match(
      r[0].message,
      /returns with inode2 still locked on this path, but unlock_two_nondirectories\(\) is documented to release it/,
    );
  });
  test("an argument relation from the catalogue (childOf) aliases the body's keys", async () => {
    // end_creating_path(path, dentry) releases dentry's parent, which the catalogue says is path->dentry.
    assert.deepEqual(
      await rules(`
void end_creating_path(const struct path *path, struct dentry *dentry)
{
	end_creating(dentry);
	mnt_drop_write(path->mnt);
	path_put(path);
}`),
      [],
    );
  });
  test('a documented acquirer must return holding what its callers are told it holds', async () => {
    const lockRename = (same: string) => `
struct dentry *lock_rename(struct dentry *p1, struct dentry *p2)
{
	if (p1 == p2) {
		${same}
		return NULL;
	}
	mutex_lock(&p1->d_sb->s_vfs_rename_mutex);
	inode_lock_nested(p1->d_inode, I_MUTEX_PARENT);
	inode_lock_nested(p2->d_inode, I_MUTEX_PARENT2);
	return NULL;
}`;
    // p1 == p2: one lock serves both names.
    assert.deepEqual(await rules(lockRename('inode_lock_nested(p1->d_inode, I_MUTEX_PARENT);')), []);
    const r = await check(lockRename(''));
    assert.deepEqual([...new Set(r.filter((f) => f.severity !== 'info').map((f) => f.ruleId))], ['lock/imbalance']);
    assert.match(
      r[0].message,
      /lock_rename: returns successfully without holding d_inode\(p[12]\), but lock_rename\(\) is documented to return with it locked/,
    );
  });
  test("a namesake of a catalogued API with its parameters in another order is not held to the API's contract", async () => {
    // debugfs has its own static start_creating(name, parent); the VFS's (6.19) is start_creating(parent, name).
    assert.deepEqual(
      await rules(`
static struct dentry *start_creating(const char *name, struct dentry *parent)
{
	struct dentry *dentry;
	inode_lock(d_inode(parent));
	dentry = lookup_one_len(name, parent, strlen(name));
	if (IS_ERR(dentry))
		inode_unlock(d_inode(parent));
	return dentry;
}`),
      [],
    );
  });
  test('an error code assigned before a jump makes that return a failing one (a lock kept there is a leak)', async () => {
    const body = (out: string) => `
int f(struct inode *inode, unsigned int flags)
{
	int err;
	inode_lock(inode);
	if (IS_APPEND(inode)) {
		err = -EPERM;
		goto out;
	}
	inode->i_flags = flags;
	err = 0;
${out}
	return err;
}`;
    assert.deepEqual(await rules(body('out:\n\tinode_unlock(inode);')), []);
    assert.deepEqual(await rules(body('\tinode_unlock(inode);\nout:')), ['lock/imbalance@f']);
  });
  test('re-testing the result of a conditional acquirer agrees with the first test', async () => {
    // overlayfs: `err = start_renaming_dentry(...); if (err) err = -EIO; if (err) goto out;` locks only when err == 0.
    assert.deepEqual(
      await rules(
        `
int f(struct renamedata *rd, struct dentry *d, struct qstr *name)
{
	int err = start_renaming_dentry(rd, 0, d, name);
	if (err) {
		err = -EIO;
	}
	if (err)
		goto out;
	err = do_something(rd);
	end_renaming(rd);
out:
	return err;
}`,
        { kernel: '6.19' },
      ),
      [],
    );
  });
  test('a lock handed over to an object the caller holds, or recorded in a pointer that guards its release, is not leaked', async () => {
    assert.deepEqual(
      await rules(`
int reserve(struct alloc_ctx *ac, struct inode *alloc_inode)
{
	int status;
	inode_lock(alloc_inode);
	status = fs_inode_lock(alloc_inode);
	if (status < 0) {
		inode_unlock(alloc_inode);
		return status;
	}
	ac->ac_inode = alloc_inode;
	if (no_space(alloc_inode)) {
		status = -ENOSPC;
		goto bail;
	}
	status = 0;
bail:
	return status;
}`),
      [],
    );
    assert.deepEqual(
      await rules(`
int unalias(struct dentry *dentry, struct dentry *alias)
{
	struct mutex *m1 = NULL;
	int ret = -ESTALE;
	if (alias->d_parent == dentry->d_parent)
		goto out;
	if (!mutex_trylock(&dentry->d_sb->s_vfs_rename_mutex))
		goto out_err;
	m1 = &dentry->d_sb->s_vfs_rename_mutex;
out:
	ret = 0;
out_err:
	if (m1)
		mutex_unlock(m1);
	return ret;
}`),
      [],
    );
  });
  test('end_removing_path() releases what start_removing_path() took (6.19 devtmpfs idiom)', async () => {
    assert.deepEqual(
      await rules(
        `
static int rmdir_one(const char *name)
{
	struct path parent;
	struct dentry *dentry;
	int err;

	dentry = start_removing_path(name, &parent);
	if (IS_ERR(dentry))
		return PTR_ERR(dentry);
	if (d_inode(dentry)->i_private == &thread)
		err = vfs_rmdir(&nop_mnt_idmap, d_inode(parent.dentry), dentry, NULL);
	else
		err = -EPERM;
	end_removing_path(&parent, dentry);
	return err;
}`,
        { kernel: '6.19' },
      ),
      [],
    );
  });
  test('releasing twice is flagged', async () => {
    const r = await rules(`
int f(struct inode *inode)
{
	inode_lock(inode);
	inode_unlock(inode);
	inode_unlock(inode);
	return 0;
}`);
    assert.deepEqual(r, ['lock/imbalance@f']);
  });
  test('correlated conditional lock and unlock are balanced', async () => {
    const r = await rules(`
int f(struct inode *dir, int creat)
{
	if (creat)
		inode_lock(dir);
	else
		inode_lock_shared(dir);
	do_something(dir);
	if (creat)
		inode_unlock(dir);
	else
		inode_unlock_shared(dir);
	return 0;
}`);
    assert.deepEqual(r, []);
  });
});

describe('deleg/null-delegated-inode', () => {
  test('NULL out-parameter is an info note only', async () => {
    const all = await check(`
int f(struct inode *dir, struct dentry *dentry)
{
	int error;
	inode_lock(dir);
	error = vfs_unlink(&nop_mnt_idmap, dir, dentry, NULL);
	inode_unlock(dir);
	return error;
}`);
    assert.deepEqual(
      all.map((f) => `${f.ruleId}:${f.severity}`),
      ['deleg/null-delegated-inode:info'],
    );
  });
});

describe('kernel macros and syntax', () => {
  test('SYSCALL_DEFINE bodies are analysed as sys_<name>', async () => {
    const r = await rules(`
SYSCALL_DEFINE2(frob, const char __user *, name, int, flags)
{
	struct inode *inode = get_inode(name);
	inode_lock(inode);
	if (flags)
		return -EINVAL;
	inode_unlock(inode);
	return 0;
}`);
    assert.deepEqual(r, ['lock/imbalance@sys_frob']);
  });

  test('list_for_each_entry and scoped_guard bodies are part of the function', async () => {
    const r = await rules(`
int f(struct dentry *dentry, struct iattr *attr, struct list_head *h)
{
	struct inode *inode = d_inode(dentry);
	struct thing *t;
	list_for_each_entry(t, h, list) {
		scoped_guard(spinlock, &inode->i_lock) {
			t->n++;
		}
	}
	inode_lock(inode);
	simple_setattr(&nop_mnt_idmap, dentry, attr);
	inode_unlock(inode);
	return 0;
}`);
    assert.deepEqual(r, ['deleg/missing-break@f']);
  });

  test('guard(spinlock) holds the lock to the end of its scope', async () => {
    const r = await rules(`
int f(struct inode *inode, int x)
{
	if (x) {
		guard(spinlock)(&inode->i_lock);
		x++;
	}
	error = break_lease(inode, O_WRONLY);
	{
		guard(spinlock)(&inode->i_lock);
		return break_lease(inode, O_WRONLY);
	}
}`);
    assert.deepEqual(r, ['deleg/blocking-break-locked@f']);
    const fs = await check(`
int f(struct inode *inode, int x)
{
	if (x) {
		guard(spinlock)(&inode->i_lock);
		x++;
	}
	error = break_lease(inode, O_WRONLY);
	{
		guard(spinlock)(&inode->i_lock);
		return break_lease(inode, O_WRONLY);
	}
}`);
    assert.equal(
      fs.find((f) => f.ruleId === 'deleg/blocking-break-locked')!.line,
      11,
      'only the break inside the second guarded scope',
    );
  });

  test('syntax errors inside a function do not stop its analysis', async () => {
    const r = await rules(`
int f(struct dentry *dentry, struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	int x = ( ;
	inode_lock(inode);
	simple_setattr(&nop_mnt_idmap, dentry, attr);
	inode_unlock(inode);
	return 0;
}`);
    assert.deepEqual(r, ['deleg/missing-break@f']);
  });
});

describe('6.19 directory operations: vfs_mkdir() unlocks on failure, end_creating() of an ERR_PTR does nothing', () => {
  const v = { kernel: '6.19' } as const;
  // cachefiles_get_directory's shape: an injected failure ends the creation itself and turns the dentry into an error.
  const getDir = (elseBranch: string, atError: string) => `
static struct dentry *get_dir(struct dentry *dir, int inject, int space)
{
	struct dentry *subdir;
	int ret;

	subdir = start_creating(&nop_mnt_idmap, dir, &QSTR("x"));
	if (IS_ERR(subdir))
		return subdir;
	ret = space;
	if (ret < 0)
		goto mkdir_error;
	if (inject == 0) {
		subdir = vfs_mkdir(&nop_mnt_idmap, d_inode(dir), subdir, 0700, NULL);
	} else {
		${elseBranch}
		subdir = ERR_PTR(inject);
	}
	if (IS_ERR(subdir))
		goto mkdir_error;
	end_creating_keep(subdir);
	return subdir;
mkdir_error:
	${atError}
	return ERR_PTR(ret);
}`;
  test('vfs_mkdir() itself must release the parent on its failing returns', async () => {
    // Its contract since 6.19: an ERR_PTR comes back with the parent already unlocked.
    const mkdir = (release: string) => `
struct dentry *vfs_mkdir(struct mnt_idmap *idmap, struct inode *dir, struct dentry *dentry, umode_t mode,
			 struct delegated_inode *delegated_inode)
{
	int error;

	error = may_create(idmap, dir, dentry);
	if (error)
		goto err;
	error = try_break_deleg(dir, delegated_inode);
	if (error)
		goto err;
	error = dir->i_op->mkdir(idmap, dir, dentry, mode) ? -EIO : 0;
	if (error)
		goto err;
	return dentry;
err:
	${release}
	return ERR_PTR(error);
}`;
    assert.deepEqual(await rules(mkdir('end_creating(dentry);'), v), []);
    const kept = (await check(mkdir(''), v)).filter((f) => f.ruleId === 'lock/imbalance');
    assert.equal(kept.length, 1);
    assert.match(
      kept[0].message,
      /^vfs_mkdir: fails with dir still locked, but vfs_mkdir\(\) is documented to release it when it fails\./,
    );
  });
  test('ending the creation before turning the dentry into an error pointer is clean', async () => {
    assert.deepEqual(await rules(getDir('end_creating(subdir);', 'end_creating(subdir);'), v), []);
  });
  test('dropping that end_creating() leaks the parent: the later end_creating() of the ERR_PTR releases nothing', async () => {
    const r = await check(getDir('', 'end_creating(subdir);'), v);
    const w = r.filter((f) => f.severity !== 'info');
    assert.deepEqual(
      w.map((f) => `${f.ruleId}@${f.line}`),
      ['lock/imbalance@25'],
    );
    assert.match(w[0].message, /returns with d_inode\(dir\) still locked \(taken by start_creating\) on this path/);
  });
  test('dropping the end_creating() at the error label leaks the parent on the early goto', async () => {
    assert.deepEqual(await rules(getDir('end_creating(subdir);', ''), v), ['lock/imbalance@get_dir']);
  });

  const mk = (onError: string, tail = 'end_creating(d);') => `
static int mk(struct dentry *parent, const char *name)
{
	struct dentry *d;

	d = start_creating(&nop_mnt_idmap, parent, &QSTR(name));
	if (IS_ERR(d))
		return PTR_ERR(d);
	d = vfs_mkdir(&nop_mnt_idmap, d_inode(parent), d, 0700, NULL);
	if (IS_ERR(d)) {
		${onError}
		return PTR_ERR(d);
	}
	${tail}
	return 0;
}`;
  test('on failure vfs_mkdir() has unlocked the parent: returning at once is clean, unlocking again is a double unlock', async () => {
    assert.deepEqual(await rules(mk(''), v), []);
    assert.deepEqual(await rules(mk('end_creating(d);'), v), []);
    const r = await warnings(mk('inode_unlock(d_inode(parent));'), v);
    assert.deepEqual(
      r.map((f) => `${f.ruleId}@${f.line}`),
      ['lock/imbalance@11'],
    );
    assert.match(r[0].message, /inode_unlock releases d_inode\(parent\), which this path already released/);
    assert.deepEqual(
      r[0].relatedLocated.map((x) => `${x.line}: ${x.message}`),
      ['9: first released here'],
    );
  });
  test('before 6.19 vfs_mkdir() never unlocks: the caller releases on every path', async () => {
    const old = `
static int mk(struct inode *dir, struct dentry *d)
{
	struct dentry *res;

	inode_lock(dir);
	res = vfs_mkdir(&nop_mnt_idmap, dir, d, 0700);
	if (IS_ERR(res)) {
		inode_unlock(dir);
		return PTR_ERR(res);
	}
	inode_unlock(dir);
	return 0;
}`;
    assert.deepEqual(await rules(old, { kernel: '6.15' }), []);
    assert.deepEqual(await rules(old.replace('\t\tinode_unlock(dir);\n', ''), { kernel: '6.15' }), [
      'lock/imbalance@mk',
    ]);
  });
  test("a wrapper returning vfs_mkdir()'s result releases its caller's lock on failure, through two callers", async () => {
    const code = (end: string) => `
static inline struct dentry *wrap_mkdir(struct inode *dir, struct dentry *dentry, umode_t mode)
{
	struct dentry *ret;

	ret = vfs_mkdir(&nop_mnt_idmap, dir, dentry, mode, NULL);
	pr_debug("mkdir(%pd2, 0%o) = %i\\n", dentry, mode, PTR_ERR_OR_ZERO(ret));
	return ret;
}

static struct dentry *mkdir_real(struct dentry *parent, struct dentry *newdentry, umode_t mode)
{
	struct dentry *d = wrap_mkdir(d_inode(parent), newdentry, mode);

	if (IS_ERR(d))
		return d;
	return d;
}

int make_one(struct dentry *parent, const char *name)
{
	struct dentry *d;
	int err = 0;

	d = start_creating(&nop_mnt_idmap, parent, &QSTR(name));
	if (IS_ERR(d))
		return PTR_ERR(d);
	d = mkdir_real(parent, d, 0700);
	if (IS_ERR(d))
		err = PTR_ERR(d);
	${end}
	return err;
}`;
    // The lock requirement goes up to make_one, which holds it; end_creating() of the result releases it exactly once.
    assert.deepEqual(await rules(code('end_creating(d);'), v), []);
    assert.deepEqual(await rules(code('if (!err)\n\t\tend_creating(d);'), v), []);
    // Unlocking the parent by hand after a failure releases it a second time.
    assert.deepEqual(
      await rules(code('if (err)\n\t\tinode_unlock(d_inode(parent));\n\telse\n\t\tend_creating(d);'), v),
      ['lock/imbalance@make_one'],
    );
  });
  test('unlocking after start_creating() failed releases a lock nothing holds', async () => {
    const getDir = (onNomem: string) => `
static struct dentry *get_dir(struct dentry *dir, int inject)
{
	struct dentry *subdir;

	if (inject == 0)
		subdir = start_creating(&nop_mnt_idmap, dir, &QSTR("x"));
	else
		subdir = ERR_PTR(inject);
	if (IS_ERR(subdir)) {
		if (PTR_ERR(subdir) == -ENOMEM)
			goto nomem;
		return subdir;
	}
	end_creating_keep(subdir);
	return subdir;
nomem:
	${onNomem}
	return ERR_PTR(-ENOMEM);
}`;
    assert.deepEqual(await rules(getDir(''), v), []);
    const r = await warnings(getDir('inode_unlock(d_inode(dir));'), v);
    assert.deepEqual(
      r.map((f) => `${f.ruleId}@${f.line}`),
      ['lock/imbalance@18'],
    );
    assert.match(
      r[0].message,
      /^get_dir: inode_unlock releases d_inode\(dir\), which start_creating\(\) did not take: it failed/,
    );
    assert.deepEqual(
      r[0].relatedLocated.map((x) => `${x.line}: ${x.message}`),
      ['7: start_creating() failed here without taking the lock'],
    );
    // A plain inode_lock() under a flag its unlock is correlated with stays the caller-holds hypothesis' case.
    assert.deepEqual(
      await rules(`
int dio(struct inode *inode, int flags)
{
	int err;

	if (flags & 1)
		inode_lock(inode);
	err = do_io(inode);
	if (flags & 1)
		inode_unlock(inode);
	return err;
}`),
      [],
    );
  });
  test("ending a creation twice releases the caller's lock twice (overlayfs' casefold mismatch)", async () => {
    const createReal = (mismatch: string) => `
struct dentry *create_real(struct dentry *parent, struct dentry *newdentry, int casefold)
{
	struct inode *dir = parent->d_inode;
	int err;

	if (IS_ERR(newdentry))
		return newdentry;
	newdentry = vfs_mkdir(&nop_mnt_idmap, dir, newdentry, 0700, NULL);
	err = PTR_ERR_OR_ZERO(newdentry);
	if (!err && casefold) {
		${mismatch}
		err = -EINVAL;
	}
	if (err)
		goto out;
	return newdentry;
out:
	if (err) {
		end_creating(newdentry);
		return ERR_PTR(err);
	}
	return newdentry;
}`;
    // The error path ends the creation once (an ERR_PTR from vfs_mkdir ends nothing).
    assert.deepEqual(await rules(createReal(''), v), []);
    const r = await warnings(createReal('end_creating(newdentry);'), v);
    assert.deepEqual(
      r.map((f) => `${f.ruleId}@${f.line}`),
      ['lock/imbalance@20'],
    );
    assert.match(r[0].message, /end_creating releases dir, which this path already released/);
    assert.deepEqual(
      r[0].relatedLocated.map((x) => `${x.line}: ${x.message}`),
      ['12: first released here'],
    );
  });
  test('end_creating_path() of an ERR_PTR releases nothing; done_path_create() always releases', async () => {
    const ksmbd = (end: string) => `
int mkdir_at(struct path *path, struct dentry *dentry, umode_t mode)
{
	int err = 0;

	inode_lock_nested(path->dentry->d_inode, I_MUTEX_PARENT);
	dentry = vfs_mkdir(mnt_idmap(path->mnt), d_inode(path->dentry), dentry, mode, NULL);
	if (IS_ERR(dentry))
		err = PTR_ERR(dentry);
	${end}
	return err;
}`;
    assert.deepEqual(await rules(ksmbd('end_creating_path(path, dentry);'), v), []);
    // A hand-written unlock after end_creating_path() releases a second time on success.
    assert.deepEqual(
      await rules(ksmbd('end_creating_path(path, dentry);\n\tif (!err)\n\t\tinode_unlock(path->dentry->d_inode);'), v),
      ['lock/imbalance@mkdir_at'],
    );
  });
});

describe('a method that returns holding a lock it took', () => {
  const file = (unlock: string, extra = '') => `
static int lock_dir(struct inode *dir)
{
	inode_lock(dir);
	return 0;
}

static ssize_t my_listxattr(struct dentry *dentry, char *list, size_t size)
{
	struct inode *inode = d_inode(dentry);
	ssize_t rc;

	if (!inode->i_op->listxattr)
		return -EOPNOTSUPP;
	inode_lock(inode);
	rc = inode->i_op->listxattr(dentry, list, size);
	${unlock}
	${extra}
	return rc;
}

const struct inode_operations my_iops = {
	.listxattr = my_listxattr,
};

int use(struct inode *dir)
{
	int err = lock_dir(dir);

	if (err)
		return err;
	inode_unlock(dir);
	return 0;
}`;
  test('stored only in an ops table, nothing can release it: flagged where it returns', async () => {
    assert.deepEqual(await rules(file('inode_unlock(inode);')), []);
    const r = await warnings(file(''));
    assert.deepEqual(
      r.map((f) => `${f.ruleId}@${f.function}:${f.line}`),
      ['lock/imbalance@my_listxattr:19'],
    );
    assert.match(
      r[0].message,
      /^my_listxattr: returns with inode still locked \(taken by inode_lock\), and nothing calls it but through a pointer\./,
    );
  });
  test('not when a function without a summary is handed the locked inode (it may release it)', async () => {
    assert.deepEqual(await rules(file('', 'bury_object(inode);')), []);
  });
});

describe('a lock kept where the function returns a call result it never tested', () => {
  const meta = (unlock: string) => `
static int copy_meta(struct dentry *temp, struct kstat *stat, int sync)
{
	int err;

	if (!temp->d_inode)
		return -EIO;
	inode_lock(temp->d_inode);
	err = set_size(temp, stat);
	if (!err)
		err = set_attr(temp, stat);
	${unlock}
	if (!err && sync)
		err = sync_file(temp);
	return err;
}`;
  test('held whatever set_attr() returned: flagged, with a headline that claims no failure', async () => {
    assert.deepEqual(await rules(meta('inode_unlock(temp->d_inode);')), []);
    const r = await warnings(meta(''));
    assert.deepEqual(
      r.map((f) => `${f.ruleId}@${f.line}`),
      ['lock/imbalance@15'],
    );
    assert.match(
      r[0].message,
      /^copy_meta: may return an error in err \(from \w+\(\) or another call under the lock\) with d_inode\(temp\) still locked \(taken by inode_lock\)\./,
    );
  });
  test("a filesystem method's result counts as a call's, not a lock helper's", async () => {
    const body = (unlock: string) => `
static ssize_t getxattr_lower(struct dentry *lower, const char *name, void *value, size_t size)
{
	int rc = 0;

	if (!lower->d_inode->i_op->getxattr) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	inode_lock(lower->d_inode);
	rc = lower->d_inode->i_op->getxattr(lower, name, value, size);
	${unlock}
out:
	return rc;
}
ssize_t f(struct dentry *d, const char *name, void *value, size_t size)
{
	return getxattr_lower(d, name, value, size);
}`;
    assert.deepEqual(await rules(body('inode_unlock(lower->d_inode);')), []);
    const r = await warnings(body(''));
    assert.deepEqual(
      r.map((f) => `${f.ruleId}@${f.function}`),
      ['lock/imbalance@getxattr_lower'],
    );
    assert.match(r[0].message, /from lower->d_inode->i_op->getxattr\(\) or another call under the lock/);
  });
  test('a status made from the result (nfserrno) is the result', async () => {
    const body = (unlock: string) => `
__be32 set_label(struct svc_rqst *rqstp, struct svc_fh *fhp, struct xdr_netobj *label)
{
	__be32 error;
	int host_error;
	struct dentry *dentry;

	error = fh_verify(rqstp, fhp, 0, NFSD_MAY_SATTR);
	if (error)
		return error;
	dentry = fhp->fh_dentry;
	inode_lock(d_inode(dentry));
	host_error = security_inode_setsecctx(dentry, label->data, label->len);
	${unlock}
	return nfserrno(host_error);
}`;
    assert.deepEqual(await rules(body('inode_unlock(d_inode(dentry));')), []);
    const r = await warnings(body(''));
    assert.deepEqual(
      r.map((f) => `${f.ruleId}@${f.function}`),
      ['lock/imbalance@set_label'],
    );
    assert.match(
      r[0].message,
      /^set_label: may return an error in nfserrno\(host_error\) \(from security_inode_setsecctx\(\)/,
    );
  });
  test('a lock helper returning 0 with the lock, or a lock API result, is not flagged', async () => {
    assert.deepEqual(
      await rules(`
static int lock_it(struct inode *inode)
{
	int err = prepare(inode);

	if (err)
		return err;
	inode_lock(inode);
	return err;
}
int use(struct inode *inode)
{
	int err = lock_it(inode);

	if (err)
		return err;
	inode_unlock(inode);
	return 0;
}`),
      [],
    );
  });
});

describe('a lock on an object only a local variable names', () => {
  // A helper returns with the directory locked when it succeeds; its caller looks the directory up into a local
  // `struct path` and must release the lock before putting the path: no caller of it can name that inode.
  const helper = `
static int lock_victim(struct dentry *dir, const char *name)
{
	struct dentry *victim;
	inode_lock(d_inode(dir));
	victim = lookup_one_len(name, dir, strlen(name));
	if (IS_ERR(victim)) {
		inode_unlock(d_inode(dir));
		return PTR_ERR(victim);
	}
	dput(victim);
	return 0;
}
`;
  const caller = (tail: string) => `${helper}
int f(const char *dirname, const char *name)
{
	struct path path;
	int ret;
	ret = kern_path(dirname, LOOKUP_DIRECTORY, &path);
	if (ret)
		return ret;
	ret = lock_victim(path.dentry, name);
	${tail}
}`;
  test('kept at a return is a leak, named as C writes a struct member', async () => {
    const leak = (await check(caller('path_put(&path);\n\treturn ret;'))).filter((f) => f.ruleId === 'lock/imbalance');
    assert.equal(leak.length, 1);
    assert.match(
      leak[0].message,
      /^f: returns with d_inode\(path\.dentry\) still locked \(taken by lock_victim\), which no caller can name\./,
    );
  });
  test('released, returned, stored or handed to an unknown call, it is not', async () => {
    const released = 'if (!ret)\n\t\tinode_unlock(d_inode(path.dentry));\n\tpath_put(&path);\n\treturn ret;';
    assert.deepEqual(await rules(caller(released)), []);
    // Stored where a caller can reach it: that caller may release it.
    assert.deepEqual(await rules(caller('*out_dentry = path.dentry;\n\treturn ret;')), []);
    // Handed to a function the analysis knows nothing of, which may release it.
    assert.deepEqual(await rules(caller('finish_with(&path);\n\treturn ret;')), []);
  });
});

describe('an equality of fields tested before a lock is tested again under it', () => {
  // lock_rename_child()'s shape: c1 may move between the test and the lock, which is why the test is repeated.
  const body = (unlock: string) => `
static struct dentry *f(struct dentry *c1, struct dentry *p2)
{
	if (READ_ONCE(c1->d_parent) == p2) {
		inode_lock_nested(p2->d_inode, I_MUTEX_PARENT);
		if (likely(c1->d_parent == p2))
			return NULL;
		${unlock}
	}
	inode_lock_nested(p2->d_inode, I_MUTEX_PARENT);
	return NULL;
}`;
  test('the repeated test may fail: a dropped unlock before the fall-back is a self-deadlock', async () => {
    assert.deepEqual(await rules(body('inode_unlock(p2->d_inode);')), []);
    const twice = (await check(body(''))).filter((f) => f.ruleId === 'lock/imbalance');
    assert.equal(twice.length, 1);
    assert.match(twice[0].message, /^f: inode_lock_nested takes d_inode\(p2\)'s lock, which this path already holds\./);
  });
  test('under the rename lock a tested parent stays tested', async () => {
    // With s_vfs_rename_mutex held no dentry changes its parent: c1->d_parent is still p2 at the return.
    const code = `
struct dentry *lock_rename_child(struct dentry *c1, struct dentry *p2)
{
	mutex_lock(&c1->d_sb->s_vfs_rename_mutex);
	if (likely(c1->d_parent != p2))
		return lock_two_directories(c1->d_parent, p2);
	inode_lock_nested(p2->d_inode, I_MUTEX_PARENT);
	mutex_unlock(&c1->d_sb->s_vfs_rename_mutex);
	return NULL;
}`;
    assert.deepEqual(await rules(code, { kernel: '6.12' }), []);
  });
});

describe('a helper this file defines is read from its body, not its name', () => {
  const file = (unlockBody: string | null) => `
static struct dentry *lock_parent(struct dentry *dentry)
{
	struct dentry *dir = dget_parent(dentry);
	inode_lock_nested(dir->d_inode, I_MUTEX_PARENT);
	return dir;
}
${unlockBody === null ? '' : `\nstatic void unlock_dir(struct dentry *dir)\n{\n${unlockBody}\n}\n`}
static int f(struct dentry *dentry, umode_t mode)
{
	struct dentry *dir;
	int rc;
	dir = lock_parent(dentry);
	rc = vfs_mkdir(dir->d_inode, dentry, mode);
	unlock_dir(dir);
	return rc;
}`;
  test('an unlock helper whose body releases nothing leaves the lock held', async () => {
    assert.deepEqual(await rules(file('\tinode_unlock(dir->d_inode);\n\tdput(dir);'), { kernel: '6.12' }), []);
    const leak = (await check(file('\tdput(dir);'), { kernel: '6.12' })).filter((f) => f.ruleId === 'lock/imbalance');
    assert.equal(leak.length, 1);
    assert.match(leak[0].message, /^f: returns with d_inode\(dentry->d_parent\) still locked \(taken by lock_parent\)/);
  });
  test('one without a body here is still taken at its word', async () => {
    // unlock_dir() is defined elsewhere: its name is all the analysis has, and it says it releases.
    assert.deepEqual(await rules(file(null), { kernel: '6.12' }), []);
  });
});

describe('a helper that takes a lock its caller already holds', () => {
  const file = (helperBody: string, callerTail: string) => `
static int cleanup(struct inode *dir, struct dentry *victim, bool locked)
{
	int err;
${helperBody}
	return err;
}

static int f(struct inode *dir, struct dentry *victim)
{
	int err;
	inode_lock(dir);
	err = prepare(victim);
${callerTail}
	return err;
}`;
  const takes = '\tinode_lock(dir);\n\terr = vfs_unlink(&nop_mnt_idmap, dir, victim, NULL);\n\tinode_unlock(dir);';
  test('is a self-deadlock at the call, named after the helper', async () => {
    // The caller lost its unlock before the clean-up: cleanup() waits for the lock its caller still holds.
    const dead = (await check(file(takes, '\tcleanup(dir, victim, false);'), { kernel: '6.12' })).filter(
      (f) => f.ruleId === 'lock/imbalance' && f.message.includes('already holds'),
    );
    assert.equal(dead.length, 1);
    assert.match(dead[0].message, /^f: cleanup takes dir's lock, which this path already holds\./);
    assert.deepEqual(
      await rules(file(takes, '\tinode_unlock(dir);\n\tcleanup(dir, victim, false);'), { kernel: '6.12' }),
      [],
    );
  });
  test('not when the helper takes it only for some arguments', async () => {
    // `if (!locked) inode_lock(dir)`: whether it waits depends on what the caller passes.
    const cond =
      '\tif (!locked)\n\t\tinode_lock(dir);\n\terr = vfs_unlink(&nop_mnt_idmap, dir, victim, NULL);\n' +
      '\tif (!locked)\n\t\tinode_unlock(dir);';
    assert.deepEqual(
      await rules(file(cond, '\tcleanup(dir, victim, true);\n\tinode_unlock(dir);'), { kernel: '6.12' }),
      [],
    );
  });
});
