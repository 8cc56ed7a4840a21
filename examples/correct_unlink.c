// SPDX-License-Identifier: MIT
/* A correct unlink in the style of Linux 3.13-6.18: the victim is locked across try_break_deleg() and the
 * change; the caller drops every lock before break_deleg_wait() and retries. */
#include <linux/fs.h>

int example_vfs_unlink(struct inode *dir, struct dentry *dentry, struct inode **delegated_inode)
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

int example_unlinkat(struct path *parent, struct qstr *name)
{
	struct inode *delegated_inode = NULL;
	struct dentry *dentry;
	int error;

retry_deleg:
	inode_lock_nested(parent->dentry->d_inode, I_MUTEX_PARENT);
	dentry = lookup_one_qstr_excl(name, parent->dentry, 0);
	error = PTR_ERR(dentry);
	if (IS_ERR(dentry))
		goto unlock;
	error = example_vfs_unlink(parent->dentry->d_inode, dentry, &delegated_inode);
	dput(dentry);
unlock:
	inode_unlock(parent->dentry->d_inode);
	if (delegated_inode) {
		error = break_deleg_wait(&delegated_inode);
		if (!error)
			goto retry_deleg;
	}
	return error;
}
