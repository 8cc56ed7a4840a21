/* class: reused-error-variable; expect: clean; kernel: 6.12 (written for VFS Lock Review's class list, docs/whole-tree.md) */
#include <linux/fs.h>
#include <linux/namei.h>

int demo_create(int dfd, const char __user *name, bool check)
{
	struct path path;
	struct dentry *dentry;
	int error;

	if (check) {
		error = demo_check(dfd);
		if (error)
			return error;
	}
	dentry = user_path_create(dfd, name, &path, 0);
	error = PTR_ERR_OR_ZERO(dentry);
	if (error)
		goto out;
	error = demo_make(d_inode(path.dentry), dentry);
	done_path_create(&path, dentry);
out:
	return error;
}
