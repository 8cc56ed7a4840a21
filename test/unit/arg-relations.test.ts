/**
 * Relations between arguments that a call requires: `vfs_mkdir(idmap, dir, dentry, ...)` needs `dentry` to be a child
 * of `dir`, so in its caller `end_creating(dentry)` releases the lock on `dir`, whatever the two are called there; a
 * wrapper's summary carries the relation to its own callers. Snippets written here (6.19 spellings).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { check, rules } from '../helpers/snippet';

const v = { kernel: '6.19' } as const;

/** nfsd_create_locked()'s shape: the caller locked the parent, the helper unlocks it through the new child. */
const createLocked = (mkdir: string) => `
struct res { struct dentry *dentry; };
extern void fill_res(struct res *res, struct dentry *child);

static struct dentry *my_do_mkdir(struct inode *dir, struct dentry *dentry, umode_t mode)
{
	return vfs_mkdir(&nop_mnt_idmap, dir, dentry, mode, NULL);
}

/* The parent directory is locked by the caller; this unlocks it. */
static int create_locked(struct dentry *dentry, struct res *res, umode_t mode)
{
	struct inode *dirp = d_inode(dentry);
	struct dentry *dchild = dget(res->dentry);
	int err = 0;

	dchild = ${mkdir}(${mkdir === 'vfs_mkdir' ? '&nop_mnt_idmap, ' : ''}dirp, dchild, mode${mkdir === 'vfs_mkdir' ? ', NULL' : ''});
	if (IS_ERR(dchild))
		err = PTR_ERR(dchild);
	end_creating(dchild);
	return err;
}
`;

const caller = (after: string) => `
void create(struct dentry *dentry, struct res *res, umode_t mode)
{
	struct dentry *child;

	child = start_creating(&nop_mnt_idmap, dentry, &QSTR("x"));
	if (IS_ERR(child))
		return;
	fill_res(res, child);
	create_locked(dentry, res, mode);
	${after}
}
`;

describe('a call requires its dentry argument to be a child of its directory argument', () => {
  for (const mkdir of ['vfs_mkdir', 'my_do_mkdir']) {
    test(`${mkdir}(): end_creating(child) in the helper releases the caller's lock on the parent`, async () => {
      assert.deepEqual(await rules(createLocked(mkdir) + caller(''), v), []);
      // Releasing it again in the caller is a double unlock: it is known to be the same lock only through the relation
      // (the helper got the child through a struct the caller filled with an unknown call).
      const twice = (await check(createLocked(mkdir) + caller('end_creating(child);'), v)).filter(
        (f) => f.severity !== 'info',
      );
      assert.deepEqual(
        twice.map((f) => `${f.ruleId}@${f.function}`),
        ['lock/imbalance@create'],
      );
      assert.match(
        twice[0].message,
        /^create: end_creating releases d_inode\(dentry\), which this path already released\./,
      );
    });
  }
});

/** ovl_create_real()'s shape: passes an ERR_PTR child through, and releases the parent only when it fails. */
const createReal = (casefold: string) => `
static struct dentry *my_do_mkdir(struct inode *dir, struct dentry *dentry, umode_t mode)
{
	return vfs_mkdir(&nop_mnt_idmap, dir, dentry, mode, NULL);
}

static struct dentry *create_real(struct dentry *parent, struct dentry *newdentry, umode_t mode, int fold)
{
	struct inode *dir = parent->d_inode;
	int err;

	if (IS_ERR(newdentry))
		return newdentry;
	err = -ESTALE;
	if (newdentry->d_inode)
		goto out;
	newdentry = my_do_mkdir(dir, newdentry, mode);
	err = PTR_ERR_OR_ZERO(newdentry);
	if (!err && fold) {
		${casefold}
		err = -EINVAL;
	}
out:
	if (err) {
		end_creating(newdentry);
		return ERR_PTR(err);
	}
	return newdentry;
}

static struct dentry *create_temp(struct dentry *workdir, umode_t mode)
{
	struct dentry *ret;

	ret = start_creating(&nop_mnt_idmap, workdir, &QSTR("#tmp"));
	if (IS_ERR(ret))
		return ret;
	ret = create_real(workdir, ret, mode, 0);
	return end_creating_keep(ret);
}

int create_index(struct dentry *indexdir, struct dentry *target, umode_t mode)
{
	struct dentry *temp, *trap;
	int err;

	temp = create_temp(indexdir, mode);
	if (IS_ERR(temp))
		return PTR_ERR(temp);
	trap = lock_rename(indexdir, indexdir);
	if (IS_ERR(trap)) {
		dput(temp);
		return PTR_ERR(trap);
	}
	err = vfs_rename_simple(temp, target);
	unlock_rename(indexdir, indexdir);
	dput(temp);
	return err;
}
`;

describe('a helper that releases its caller’s parent lock only when it fails', () => {
  test('returning the ERR_PTR child it was given releases nothing, and its callers stay balanced', async () => {
    assert.deepEqual(await rules(createReal(''), v), []);
  });
  test('ending the creation before the shared error exit ends it again: a double unlock (ovl_create_real, 6.19)', async () => {
    const w = (await check(createReal('end_creating(newdentry);'), v)).filter((f) => f.severity !== 'info');
    assert.deepEqual(
      w.map((f) => `${f.ruleId}@${f.function}`),
      ['lock/imbalance@create_real'],
    );
    assert.match(w[0].message, /^create_real: end_creating releases dir, which this path already released\./);
  });
  test('a rename within one directory locks it once: lock_rename(dir, dir)', async () => {
    const code = `
static int same_dir_rename(struct dentry *dir, struct dentry *a, struct dentry *b)
{
	struct dentry *trap;
	int err;

	trap = lock_rename(dir, dir);
	if (IS_ERR(trap))
		return PTR_ERR(trap);
	err = vfs_rename_simple(a, b);
	unlock_rename(dir, dir);
	return err;
}`;
    assert.deepEqual(await rules(code, v), []);
  });
});
