/* class: grant-without-recheck; expect: flagged; kernel: 6.12 (written for VFS Lock Review's class list, docs/whole-tree.md) */
#include <linux/fs.h>
#include <linux/filelock.h>

/*
 * The lease comes from nfsd's delegation allocator, so kernel_setlease() grants a delegation: opens that raced with
 * the grant must be re-checked after it (nfsd4_check_conflicting_opens). A lease of unknown kind (a parameter) is
 * not held to this: fcntl leases need no re-check.
 */
static int demo_set_delegation(struct nfs4_client *clp, struct nfs4_file *fp, struct nfs4_delegation *dp)
{
	struct file_lease *fl;
	int status;

	fl = nfs4_alloc_init_lease(dp, NFS4_OPEN_DELEGATE_READ);
	if (!fl)
		return -ENOMEM;
	status = kernel_setlease(fp->fi_deleg_file->nf_file, fl->c.flc_type, &fl, NULL);
	if (fl)
		locks_free_lease(fl);
	if (status)
		return status;
	/* bug: no re-check of conflicting opens (nfsd4_check_conflicting_opens) after the grant */
	return 0;
}
