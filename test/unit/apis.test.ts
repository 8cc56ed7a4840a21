/** Kernel API spellings across versions, from the catalogue: each must be understood the same way. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rules } from '../helpers/snippet';

const setattr = (lock: string, unlock: string, brk: string) => `
int f(struct dentry *dentry, struct iattr *attr, struct delegated_inode *di)
{
	struct inode *inode = dentry->d_inode;
	int error;
	${lock}
	${brk}
	error = simple_setattr(&nop_mnt_idmap, dentry, attr);
	${unlock}
	return error;
}`;

test('3.x i_mutex, 4.7+ inode_lock and nested variants all lock the inode', async () => {
  for (const [l, u] of [
    ['mutex_lock(&inode->i_mutex);', 'mutex_unlock(&inode->i_mutex);'],
    ['inode_lock(inode);', 'inode_unlock(inode);'],
    ['inode_lock_nested(inode, I_MUTEX_CHILD);', 'inode_unlock(inode);'],
    ['down_write(&inode->i_rwsem);', 'up_write(&inode->i_rwsem);'],
  ]) {
    // The failed break jumps to the unlock (jumping past it would leak the lock: lock/imbalance).
    assert.deepEqual(
      await rules(
        setattr(l, u, 'error = try_break_deleg(inode, di); if (error) goto out;').replace('\t' + u, 'out:\n\t' + u),
      ),
      [],
      l,
    );
    assert.deepEqual(
      await rules(
        setattr(l, u, 'error = try_break_deleg(inode, di); if (error) goto out;').replace(
          '\treturn error;',
          'out:\n\treturn error;',
        ),
      ),
      ['lock/imbalance@f'],
      l,
    );
    assert.deepEqual(await rules(setattr(l, u, '')), ['deleg/missing-break@f'], l);
  }
});

test('the proposed 3-argument try_break_deleg(inode, flags, di) is a break', async () => {
  const r = await rules(
    setattr(
      'inode_lock(inode);',
      'inode_unlock(inode);',
      'error = try_break_deleg(inode, 0, di); if (error) { inode_unlock(inode); return error; }',
    ),
  );
  assert.deepEqual(r, []);
});

test('inode_trylock holds the lock only on success', async () => {
  const r = await rules(`
int f(struct dentry *dentry, struct iattr *attr, struct delegated_inode *di)
{
	struct inode *inode = dentry->d_inode;
	int error;
	if (!inode_trylock(inode))
		return -EAGAIN;
	error = try_break_deleg(inode, di);
	if (!error)
		error = simple_setattr(&nop_mnt_idmap, dentry, attr);
	inode_unlock(inode);
	return error;
}`);
  assert.deepEqual(r, []);
});

test('entry contracts: lockdep_assert_held, WARN_ON_ONCE(!inode_is_locked()) and __must_hold mean the lock is held', async () => {
  const body = (contract: string, sig = '') => `
int f(struct inode *inode)${sig}
{
	${contract}
	return break_lease(inode, O_WRONLY);
}`;
  assert.deepEqual(await rules(body('')), []);
  assert.deepEqual(await rules(body('lockdep_assert_held(&inode->i_rwsem);')), ['deleg/blocking-break-locked@f']);
  assert.deepEqual(await rules(body('WARN_ON_ONCE(!inode_is_locked(inode));')), ['deleg/blocking-break-locked@f']);
  assert.deepEqual(await rules(body('', ' __must_hold(&inode->i_lock)')), ['deleg/blocking-break-locked@f']);
});

test('6.19 start_dirop/end_dirop lock the parent; vfs_unlink is called under it', async () => {
  const r = await rules(`
int f(struct path *path, struct qstr *last)
{
	struct delegated_inode delegated_inode = { };
	struct dentry *dentry;
	int error;
retry:
	dentry = start_dirop(path->dentry, last, 0);
	if (IS_ERR(dentry))
		return PTR_ERR(dentry);
	error = vfs_unlink(&nop_mnt_idmap, path->dentry->d_inode, dentry, &delegated_inode);
	end_dirop(dentry);
	if (is_delegated(&delegated_inode)) {
		error = break_deleg_wait(&delegated_inode);
		if (!error)
			goto retry;
	}
	return error;
}`);
  assert.deepEqual(r, []);
});

test('lock_rename / unlock_rename around vfs_rename (3.15-5.11 signature) with wait and retry', async () => {
  const r = await rules(
    `
int f(struct dentry *old_dir, struct dentry *new_dir, struct dentry *a, struct dentry *b)
{
	struct inode *delegated_inode = NULL;
	struct dentry *trap;
	int error;
retry_deleg:
	trap = lock_rename(new_dir, old_dir);
	error = vfs_rename(old_dir->d_inode, a, new_dir->d_inode, b, &delegated_inode, 0);
	unlock_rename(new_dir, old_dir);
	if (delegated_inode) {
		error = break_deleg_wait(&delegated_inode);
		if (!error)
			goto retry_deleg;
	}
	return error;
}`,
    { kernel: '4.19' },
  );
  assert.deepEqual(r, []);
});

test('nfsd-style bounded wait under the inode lock is intentional', async () => {
  const r = await rules(`
int f(struct svc_rqst *rqstp, struct dentry *dentry, struct iattr *iap)
{
	struct inode *inode = d_inode(dentry);
	int host_err;
	inode_lock(inode);
	host_err = notify_change(&nop_mnt_idmap, dentry, iap, NULL);
	if (host_err == -EAGAIN)
		nfsd_wait_for_delegreturn(rqstp, inode);
	inode_unlock(inode);
	return host_err;
}`);
  assert.deepEqual(r, []);
});

test('BUG_ON(inode_trylock(x)) asserts x is locked and takes no lock itself', async () => {
  const r = await rules(`
static void flush(struct inode *tl)
{
	BUG_ON(inode_trylock(tl));
	do_flush(tl);
}
int f(struct inode *tl)
{
	int ret;
	inode_lock(tl);
	flush(tl);
	ret = work(tl);
	if (ret)
		goto out;
	ret = more(tl);
out:
	inode_unlock(tl);
	return ret;
}
int g(struct inode *inode)
{
	BUG_ON(inode_trylock(inode));
	return break_lease(inode, O_WRONLY);
}`);
  assert.deepEqual(r, ['deleg/blocking-break-locked@g']);
});
