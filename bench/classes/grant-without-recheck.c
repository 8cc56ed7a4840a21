/* class: grant-without-recheck; expect: flagged; kernel: 6.12 (written for VFS Lock Review's class list, docs/whole-tree.md) */
#include <linux/fs.h>
#include <linux/filelock.h>

static int demo_set_delegation(struct demo_client *clp, struct demo_file *fp, struct file_lease *fl)
{
	int status;

	status = kernel_setlease(fp->nf_file, fl->c.flc_type, &fl, NULL);
	if (status)
		return status;
	/* bug: no re-check of conflicting opens (nfsd4_check_conflicting_opens) after the grant */
	return 0;
}
