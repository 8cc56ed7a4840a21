/**
 * lease/open-missing-break: an open or truncate path takes write access (get_write_access()) and reaches the open or
 * the truncate without break_lease() in between, breaks before taking the access (a lease can be granted in
 * between), or ignores the break's failure. do_dentry_open() and vfs_truncate() take write access, which blocks new
 * conflicting leases, and then break. See docs/rules/lease-open-missing-break.md.
 */
import { factMessages } from '../analysis/fact-messages';
import { messages } from './messages';
import type { Related } from '../analysis/types';
import type { Op } from '../analysis/ops';
import type { AccessSt, State } from '../analysis/state';
import type { Rule } from './context';

/** The write/read accesses an open or truncate is about: its own inode's, or the only one taken. */
export function* accessesOpened(op: Extract<Op, { k: 'open' }>, s: State): Generator<[string, AccessSt]> {
  for (const [k, a] of s.access) if (!op.key || k === op.key || s.access.size === 1) yield [k, a];
}

/** The related note pointing where the access was taken. */
export function accessTaken(a: AccessSt): Related {
  return { start: a.site, end: a.siteEnd, message: `${a.kind} access to ${a.display} taken here` };
}

export const openMissingBreak: Rule = {
  ids: ['lease/open-missing-break'],

  onAccess(ctx, op, s) {
    // Read access (i_readcount) is not what generic_add_lease checks in every kernel; write access always is.
    const pre =
      op.kind !== 'write'
        ? undefined
        : (s.preBreak.get(op.key) ?? (s.preBreak.size === 1 ? [...s.preBreak.values()][0] : undefined));
    if (pre !== undefined && !s.lossy) {
      ctx.report(
        'lease/open-missing-break',
        'error',
        op.node,
        op.key,
        messages.breakBeforeAccess(ctx.unit.name, op.api, op.display),
        [{ start: pre, end: pre, message: 'lease broken here, before the access is taken' }],
      );
    }
  },

  onOpen(ctx, op, s) {
    // An open that carries its own rule (lease/otrunc-read-lease) is that rule's.
    if (s.lossy || op.rule) return;
    for (const [k, a] of accessesOpened(op, s)) {
      if (a.broken && (a.unchecked || a.failed)) {
        ctx.report(
          'lease/open-missing-break',
          'error',
          op.node,
          k,
          factMessages.leaseBreakIgnored(ctx.unit.name, `${op.api} ${op.what} ${a.display}`, a.display, !!a.failed),
          [accessTaken(a)],
        );
        continue;
      }
      if (a.broken) continue;
      ctx.report(
        'lease/open-missing-break',
        'error',
        op.node,
        k,
        messages.openMissingBreak(ctx.unit.name, `${op.api} ${op.what} ${a.display}`, a.display),
        [accessTaken(a)],
      );
    }
  },
};
