// Coccinelle's take on deleg/missing-break, for the benchmark against vfslock (bench/compare.ts).
// A name or attribute change made under the inode's lock on some path with no delegation break of that inode
// between the lock and the change.
virtual report

@r exists@
expression I, D;
position p;
@@
(
  mutex_lock(&I->i_mutex)
|
  mutex_lock_nested(&I->i_mutex, ...)
|
  inode_lock(I)
|
  inode_lock_nested(I, ...)
)
... when != try_break_deleg(I, ...)
    when != break_deleg(I, ...)
    when != break_lease(I, ...)
    when != mutex_unlock(&I->i_mutex)
    when != inode_unlock(I)
(
  D->i_op->setattr@p(...)
|
  D->i_op->unlink@p(...)
|
  D->i_op->link@p(...)
|
  D->i_op->rename@p(...)
|
  D->i_op->setxattr@p(...)
|
  D->i_op->removexattr@p(...)
|
  simple_setattr@p(...)
|
  __vfs_setxattr_noperm@p(...)
|
  __vfs_removexattr@p(...)
)

@script:python depends on report@
p << r.p;
@@
coccilib.report.print_report(p[0], "deleg/missing-break: change under the inode lock without a delegation break")
