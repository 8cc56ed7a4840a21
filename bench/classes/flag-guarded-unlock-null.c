/* class: flag-guarded-unlock; expect: clean; kernel: 6.12 (written for VFS Lock Review's class list, docs/whole-tree.md) */
#include <linux/fs.h>

int demo_setup(struct file *file)
{
	struct inode *inode = file_inode(file);
	int error;

	inode_lock(inode);
	error = demo_prepare(inode);
	if (error)
		goto bad_unlock;
	error = 0;
	goto out;
bad_unlock:
	inode_unlock(inode);
	inode = NULL;
out:
	if (inode)
		inode_unlock(inode);
	return error;
}
