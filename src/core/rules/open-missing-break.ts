/**
 * lease/open-missing-break: an open or truncate path takes write access (get_write_access()) and reaches the open or
 * the truncate without break_lease() in between, breaks before taking the access (a lease can be granted in
 * between), or ignores the break's failure. do_dentry_open() and vfs_truncate() take write access, which blocks new
 * conflicting leases, and then break. See docs/rules/lease-open-missing-break.md.
 */
import { factMessages } from '../analysis/fact-messages';
import { messages } from './messages';
import type { Rule } from './context';

export const openMissingBreak: Rule = {
  ids: ['lease/open-missing-break'],

  onAccess(ctx, op, s) {
    // Read access (i_readcount) is not what generic_add_lease checks in every kernel; write access always is.
    const pre = op.kind !== 'write' ? undefined : s.preBreak.get(op.key) ?? (s.preBreak.size === 1 ? [...s.preBreak.values()][0] : undefined);
    if (pre !== undefined && !s.lossy) {
      ctx.report('lease/open-missing-break', 'error', op.node, op.key, messages.breakBeforeAccess(ctx.unit.name, op.api, op.display),
        [{ start: pre, end: pre, message: 'lease broken here, before the access is taken' }]);
    }
  },

  onOpen(ctx, op, s) {
    // An open that carries its own rule (lease/otrunc-read-lease) is that rule's.
    if (s.lossy || op.rule) return;
    for (const [k, a] of s.access) {
      if (op.key && k !== op.key && s.access.size > 1) continue;
      if (a.broken && (a.unchecked || a.failed)) {
        ctx.report('lease/open-missing-break', 'error', op.node, k, factMessages.leaseBreakIgnored(ctx.unit.name, `${op.api} ${op.what} ${a.display}`, a.display, !!a.failed),
          [{ start: a.site, end: a.siteEnd, message: `${a.kind} access to ${a.display} taken here` }]);
        continue;
      }
      if (a.broken) continue;
      ctx.report('lease/open-missing-break', 'error', op.node, k, messages.openMissingBreak(ctx.unit.name, `${op.api} ${op.what} ${a.display}`, a.display),
        [{ start: a.site, end: a.siteEnd, message: `${a.kind} access to ${a.display} taken here` }]);
    }
  },
};
