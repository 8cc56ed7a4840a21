// SPDX-License-Identifier: MIT
/* A lease manager that inserts a delegation without inode_trylock(): it can race with a rename or unlink that
 * holds the inode lock across its own delegation break. */
#include <linux/filelock.h>

static int example_add_lease(struct file *filp, int arg, struct file_lease **flp)
{
	struct inode *inode = file_inode(filp);
	struct file_lock_context *ctx = locks_get_lock_context(inode, arg);
	struct file_lease *lease = *flp;
	bool is_deleg = lease->c.flc_flags & FL_DELEG;
	int error;

	spin_lock(&ctx->flc_lock);
	error = check_conflicting_open(filp, arg, lease->c.flc_flags);
	if (error)
		goto out;
	locks_insert_lock_ctx(&lease->c, &ctx->flc_lease);
	smp_mb();
	error = check_conflicting_open(filp, arg, lease->c.flc_flags);
	if (error)
		locks_unlink_lock_ctx(&lease->c);
out:
	spin_unlock(&ctx->flc_lock);
	if (is_deleg)
		trace_deleg(inode);
	return error;
}
