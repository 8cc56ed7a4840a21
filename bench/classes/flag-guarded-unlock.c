/* class: flag-guarded-unlock; expect: clean; kernel: 6.12 (written for VFS Lock Review's class list, docs/whole-tree.md) */
#include <linux/fs.h>

ssize_t demo_write(struct inode *inode, bool grow)
{
	bool locked = true;
	ssize_t ret;

	inode_lock(inode);
	if (!grow) {
		inode_unlock(inode);
		locked = false;
	}
	ret = demo_do_write(inode);
	if (locked)
		inode_unlock(inode);
	return ret;
}
