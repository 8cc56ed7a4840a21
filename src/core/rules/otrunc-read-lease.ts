/**
 * lease/otrunc-read-lease (warning): open(O_RDONLY|O_TRUNC) truncates without breaking read leases. do_dentry_open()
 * breaks leases as for the open's access mode (a read open breaks only write leases) and the O_TRUNC truncate
 * (ATTR_OPEN) breaks only delegations, so an F_RDLCK lease holder is never told its file was truncated. The open
 * event carries the rule id (catalogue data: do_truncate() with ATTR_OPEN). See docs/rules/lease-otrunc-read-lease.md.
 */
import type { RuleId } from '../analysis/types';
import { messages } from './messages';
import type { Rule } from './context';
import { accessesOpened, accessTaken } from './open-missing-break';

export const otruncReadLease: Rule = {
  ids: ['lease/otrunc-read-lease'],

  onOpen(ctx, op, s) {
    if (s.lossy || op.rule !== 'lease/otrunc-read-lease') return;
    for (const [k, a] of accessesOpened(op, s)) {
      // Any break since the access was taken counts, even one whose result is not tested.
      if (a.broken) continue;
      ctx.report(
        op.rule as RuleId,
        op.severity ?? 'warning',
        op.node,
        k,
        messages.otruncReadLease(ctx.unit.name, op.api, a.display),
        [accessTaken(a)],
      );
    }
  },
};
