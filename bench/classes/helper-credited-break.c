/* class: helper-credited-break; expect: clean; kernel: 6.12 (written for VFS Lock Review's class list, docs/whole-tree.md) */
#include <linux/fs.h>

static int demo_break(struct inode *inode, struct inode **delegated_inode)
{
	return try_break_deleg(inode, delegated_inode);
}

int demo_unlink(struct inode *dir, struct dentry *dentry, struct inode **delegated_inode)
{
	struct inode *target = d_inode(dentry);
	int error;

	inode_lock(target);
	error = demo_break(target, delegated_inode);
	if (error)
		goto out;
	error = dir->i_op->unlink(dir, dentry);
out:
	inode_unlock(target);
	return error;
}
