/**
 * Messages for findings about path facts (a break's result ignored, a grant not re-checked), kept beside the
 * analysis that raises them. Same shape as rules/messages.ts: a one-sentence headline, DETAIL_SEP, the details.
 */
import { DETAIL_SEP } from '../rules/messages';

export const factMessages = {
  breakIgnored(fn: string, api: string, what: string, inode: string, failed: boolean): string {
    return failed
      ? `${fn}: ${api} ${what} ${inode} after try_break_deleg() failed on this path.${DETAIL_SEP}The break returned -EWOULDBLOCK: ` +
          `the delegation is still held and its client keeps a stale cache. Return the error instead (callers drop their ` +
          `locks, break_deleg_wait() and retry; nfsd returns NFS4ERR_DELAY).`
      : `${fn}: ${api} ${what} ${inode} without testing the result of try_break_deleg().${DETAIL_SEP}The break returns -EWOULDBLOCK ` +
          `while a delegation is still held, and the change then goes ahead under it. Test the result and return the error ` +
          `before the change.`;
  },
  leaseBreakIgnored(fn: string, what: string, inode: string, failed: boolean): string {
    return failed
      ? `${fn}: ${what} after break_lease() on ${inode} failed on this path.${DETAIL_SEP}The lease or delegation is still ` +
          `held (-EWOULDBLOCK for a non-blocking open, -EINTR when interrupted), so its holder keeps caching. Return the ` +
          `error instead.`
      : `${fn}: ${what} without testing the result of break_lease() on ${inode}.${DETAIL_SEP}break_lease() fails ` +
          `(-EWOULDBLOCK for a non-blocking open, -EINTR when interrupted) while the lease or delegation is still held, and ` +
          `the open then goes ahead under it. Test the result and return the error.`;
  },
  grantNoRecheckAfter(fn: string, api: string, missing: string[]): string {
    const what = missing
      .map((m) =>
        m === 'opens'
          ? 'conflicting opens (nfsd4_check_conflicting_opens)'
          : m === 'dentry'
            ? 'the delegated name (nfsd4_verify_deleg_dentry)'
            : m,
      )
      .join(' and ');
    return (
      `${fn}: ${api}() grants a delegation and returns it without re-checking ${what} afterwards.${DETAIL_SEP}` +
      `An open or rename that raced with the grant is missed, so the client holds a delegation that conflicts with it. ` +
      `Re-check after the grant and remove the lease (F_UNLCK) on conflict.`
    );
  },
};
