/* class: private-inode; expect: clean; kernel: 6.12 (written for VFS Lock Review's class list, docs/whole-tree.md) */
#include <linux/fs.h>

/* dentry lives in the filesystem's private xattr tree: its inode has S_PRIVATE */
static int demo_xattr_unlink(struct inode *dir, struct dentry *dentry)
{
	int error;

	BUG_ON(!inode_is_locked(dir));
	BUG_ON(!IS_PRIVATE(d_inode(dentry)));
	inode_lock_nested(d_inode(dentry), I_MUTEX_CHILD);
	error = dir->i_op->unlink(dir, dentry);
	inode_unlock(d_inode(dentry));
	return error;
}
