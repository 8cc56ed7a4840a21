/* class: accessor-alias; expect: clean; kernel: 6.12 (written for VFS Lock Review's class list, docs/whole-tree.md) */
#include <linux/fs.h>

struct demo_mount { struct demo_inode *root; };
struct demo_ctx { struct demo_mount *mp; };

int demo_make_child(struct demo_ctx *ctx, struct dentry *root_dentry)
{
	struct inode *root_inode = DEMO_VFS_I(ctx->mp->root);
	struct dentry *child;
	int error;

	inode_lock_nested(root_inode, I_MUTEX_PARENT);
	child = lookup_one_len("child", root_dentry, 5);
	if (IS_ERR(child)) {
		error = PTR_ERR(child);
		goto out_unlock;
	}
	error = vfs_mkdir(&nop_mnt_idmap, root_inode, child, 0750);
	dput(child);
out_unlock:
	inode_unlock(DEMO_VFS_I(ctx->mp->root));
	return error;
}
