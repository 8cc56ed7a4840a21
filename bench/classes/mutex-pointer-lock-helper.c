/* class: mutex-pointer-lock-helper; expect: clean; kernel: 3.13 (written for VFS Lock Review's class list, docs/whole-tree.md) */
#include <linux/fs.h>

static void demo_lock(struct mutex *m)
{
	mutex_lock(m);
}

static void demo_unlock(struct mutex *m)
{
	mutex_unlock(m);
}

int vfs_link(struct dentry *old_dentry, struct inode *dir, struct dentry *new_dentry, struct inode **delegated_inode)
{
	struct inode *inode = old_dentry->d_inode;
	int error;

	demo_lock(&inode->i_mutex);
	error = try_break_deleg(inode, delegated_inode);
	if (!error)
		error = dir->i_op->link(old_dentry, dir, new_dentry);
	demo_unlock(&inode->i_mutex);
	return error;
}
