/* class: bool-copied-condition; expect: clean; kernel: 6.12 (written for VFS Lock Review's class list, docs/whole-tree.md) */
#include <linux/fs.h>

int demo_add_lease(struct inode *inode, bool is_deleg)
{
	bool busy = is_deleg && !inode_trylock(inode);
	int error;

	if (busy)
		return -EAGAIN;
	error = demo_insert(inode);
	if (is_deleg)
		inode_unlock(inode);
	return error;
}
