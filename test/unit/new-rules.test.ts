/** deleg/dir-self-break, lease/otrunc-read-lease and lease/server-open-blocks on snippets written here. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, rules } from '../helpers/snippet';

const RMDIR = (brk: string, di = 'struct delegated_inode *di') => `
int my_rmdir(struct inode *dir, struct dentry *dentry, ${di})
{
	int error;
	inode_lock(dentry->d_inode);
	error = try_break_deleg(dir, di);
	if (error)
		goto out;
	${brk}
	error = dir->i_op->rmdir(dir, dentry);
out:
	inode_unlock(dentry->d_inode);
	return error;
}`;

test('dir-self-break: rmdir of a directory whose own delegation is not broken (6.19+), a warning', async () => {
  const fs = (await check(RMDIR(''))).filter((f) => f.severity !== 'info');
  assert.deepEqual(
    fs.map((f) => `${f.ruleId}:${f.severity}`),
    ['deleg/dir-self-break:warning'],
  );
  // Under the victim's lock: the advice breaks under it, it does not say to take it.
  assert.match(fs[0].detail ?? '', /i_rwsem held, call try_break_deleg/);
  assert.ok(fs[0].message.split(/\s+/).length <= 20);
  // Broken under the lock: clean.
  assert.deepEqual(
    await rules(RMDIR('error = try_break_deleg(dentry->d_inode, di);\n\tif (error)\n\t\tgoto out;')),
    [],
  );
  // Before 6.19 (struct inode ** out-parameter) directories cannot be delegated.
  assert.deepEqual(
    await rules(
      RMDIR('', 'struct inode **di').replace('error = try_break_deleg(dir, di);\n\tif (error)\n\t\tgoto out;', ''),
    ),
    [],
  );
});

const RENAME = (extra: string) => `
int my_rename(struct inode *old_dir, struct dentry *old_dentry, struct inode *new_dir, struct dentry *new_dentry,
	      struct delegated_inode *di)
{
	struct inode *source = old_dentry->d_inode;
	bool is_dir = d_is_dir(old_dentry);
	int error;

	inode_lock(source);
	error = try_break_deleg(old_dir, di);
	if (error)
		goto out;
	if (!is_dir${extra}) {
		error = try_break_deleg(source, di);
		if (error)
			goto out;
	}
	error = old_dir->i_op->rename(&nop_mnt_idmap, old_dir, old_dentry, new_dir, new_dentry, 0);
out:
	inode_unlock(source);
	return error;
}`;

test('dir-self-break: a moved directory whose own delegation is not broken; a moved file stays a missing-break question', async () => {
  const fs = (await check(RENAME(''))).filter(
    (f) => f.ruleId === 'deleg/dir-self-break' || f.ruleId === 'deleg/missing-break',
  );
  assert.deepEqual(
    fs.map((f) => `${f.ruleId}:${f.inode}`),
    ['deleg/dir-self-break:source'],
  );
  // Breaking the source whatever its type: no self-break finding.
  const all = (await check(RENAME(' || 1'))).filter((f) => f.ruleId === 'deleg/dir-self-break' && f.inode === 'source');
  assert.deepEqual(all, []);
});

const TRUNC = (brk: string, attrs = 'ATTR_MTIME|ATTR_CTIME|ATTR_OPEN') => `
static int my_handle_truncate(struct mnt_idmap *idmap, struct file *filp)
{
	struct inode *inode = file_inode(filp);
	int error = get_write_access(inode);

	if (error)
		return error;
	${brk}
	if (!error)
		error = do_truncate(idmap, filp->f_path.dentry, 0, ${attrs}, filp);
	put_write_access(inode);
	return error;
}`;

test('otrunc-read-lease: an open-time truncate (ATTR_OPEN) with write access and no lease break, every release', async () => {
  for (const kernel of ['3.10', '4.19', '6.19']) {
    const fs = (await check(TRUNC(''), { kernel })).filter((f) => f.severity !== 'info');
    assert.deepEqual(
      fs.map((f) => `${f.ruleId}:${f.severity}`),
      ['lease/otrunc-read-lease:warning'],
      kernel,
    );
    assert.match(fs[0].detail ?? '', /F_RDLCK/);
    assert.match(fs[0].detail ?? '', /break_lease\(inode, O_WRONLY\)/);
  }
  // Broken as a writer first: clean.
  assert.deepEqual(await rules(TRUNC('error = break_lease(inode, O_WRONLY);')), []);
  // ftruncate-style (no ATTR_OPEN: the file was opened for write, the open broke every lease): clean.
  assert.deepEqual(await rules(TRUNC('', 'ATTR_MTIME|ATTR_CTIME')), []);
});

/** nfsd's open (__nfsd_open of 6.12, shortened): `brk` is what runs before dentry_open(). */
const NFSD_OPEN = (brk: string, ctxParam = 'struct svc_rqst *rqstp, struct svc_fh *fhp', flags = 'flags') => `
int nfsd_open_break_lease(struct inode *inode, int access)
{
	unsigned int mode;

	if (access & NFSD_MAY_NOT_BREAK_LEASE)
		return 0;
	mode = (access & NFSD_MAY_WRITE) ? O_WRONLY : O_RDONLY;
	return break_lease(inode, mode | O_NONBLOCK);
}

static int my_open(${ctxParam}, struct path path, int may_flags, struct file **filp)
{
	struct inode *inode = d_inode(path.dentry);
	struct file *file;
	int flags = O_RDONLY;
	int host_err = 0;

	${brk}
	if (may_flags & NFSD_MAY_WRITE)
		flags = O_RDWR;
	file = dentry_open(&path, ${flags}, current_cred());
	if (IS_ERR(file)) {
		host_err = PTR_ERR(file);
		goto out;
	}
	*filp = file;
out:
	return host_err;
}`;

test('server-open-blocks: an nfsd open with no non-blocking lease break before it, a warning', async () => {
  const fs = (await check(NFSD_OPEN(''))).filter((f) => f.severity !== 'info');
  assert.deepEqual(
    fs.map((f) => `${f.ruleId}:${f.severity}:${f.function}`),
    ['lease/server-open-blocks:warning:my_open'],
  );
  assert.ok(fs[0].message.split(/\s+/).length <= 20, fs[0].message);
  assert.match(fs[0].message, /dentry_open\(\) may wait for a recall of leases on inode/);
  assert.match(fs[0].detail ?? '', /struct svc_rqst context/);
  assert.match(fs[0].detail ?? '', /O_NONBLOCK/);
  const brk = 'host_err = nfsd_open_break_lease(inode, may_flags);\n\tif (host_err)\n\t\tgoto out;';
  // The helper breaks on some of its paths only (NFSD_MAY_NOT_BREAK_LEASE): still the break nfsd relies on.
  assert.deepEqual(await rules(NFSD_OPEN(brk)), []);
  // Written out, as 3.13's nfsd_break_lease() was.
  assert.deepEqual(await rules(NFSD_OPEN('host_err = break_lease(inode, O_WRONLY | O_NONBLOCK);')), []);
  // An open that cannot wait in its break.
  assert.deepEqual(await rules(NFSD_OPEN('', undefined, 'flags | O_NONBLOCK')), []);
  // Not an nfsd context (ksmbd is a non-blocking context, but not one that breaks before opening; nor is a plain one).
  assert.deepEqual(await rules(NFSD_OPEN('', 'struct ksmbd_work *work')), []);
  assert.deepEqual(await rules(NFSD_OPEN('', 'int unused')), []);
  // The break only on the path that does not open still leaves the open unbroken on the other.
  const some = (
    await check(NFSD_OPEN('if (may_flags & 1)\n\t\treturn nfsd_open_break_lease(inode, may_flags);'))
  ).filter((f) => f.severity !== 'info');
  assert.deepEqual(
    some.map((f) => f.ruleId),
    ['lease/server-open-blocks'],
  );
});
