/* companion of cross-file-unlock-wrapper.c: the wrapper's body, in another file of the same tree */
#include <linux/fs.h>
#include "demo.h"

void demo_inode_unlock(struct demo_inode *di, unsigned int flags)
{
	if (flags & 1)
		inode_unlock_shared(&di->vfs_inode);
	else
		inode_unlock(&di->vfs_inode);
}
