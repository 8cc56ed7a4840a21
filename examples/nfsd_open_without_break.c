// SPDX-License-Identifier: MIT
/* A file server's open that does not break leases without blocking first: dentry_open() breaks them itself and
 * sleeps until a client returns its delegation, in a server thread the client needs to return it. */
#include <linux/fs.h>

static int example_server_open(struct svc_rqst *rqstp, struct path *path, int may_write, struct file **filp)
{
	struct file *file;
	int flags = may_write ? O_RDWR : O_RDONLY;

	file = dentry_open(path, flags, current_cred());
	if (IS_ERR(file))
		return PTR_ERR(file);
	*filp = file;
	return 0;
}
