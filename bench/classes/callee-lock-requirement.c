/* class: callee-lock-requirement; expect: flagged; kernel: 6.12 (written for VFS Lock Review's class list, docs/whole-tree.md) */
#include <linux/fs.h>

int demo_set_mode(struct dentry *dentry, umode_t mode)
{
	struct iattr newattrs = { .ia_valid = ATTR_MODE, .ia_mode = mode };

	/* bug: notify_change() breaks the delegation inside and requires d_inode(dentry) locked; nothing locks it */
	return notify_change(&nop_mnt_idmap, dentry, &newattrs, NULL);
}
