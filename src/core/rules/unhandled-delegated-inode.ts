/**
 * deleg/unhandled-delegated-inode: `&delegated_inode` passed down (vfs_unlink, notify_change, try_break_deleg, an
 * in-file helper that forwards it) and, on some path to a return, never waited on; or waited on with
 * break_deleg_wait() but the operation never retried. After -EWOULDBLOCK the callee recorded (and referenced) the
 * inode: the caller must drop its locks, wait and retry. See docs/rules/deleg-unhandled-delegated-inode.md.
 */
import { reachable } from '../cfg/graph';
import type { SNode } from '../parse/syntax';
import { messages } from './messages';
import type { Rule } from './context';

export const unhandledDelegatedInode: Rule = {
  ids: ['deleg/unhandled-delegated-inode'],

  onExit(ctx, s) {
    for (const [di, d] of s.deleg) {
      ctx.report(
        'deleg/unhandled-delegated-inode',
        'error',
        { start: d.site, end: d.siteEnd } as SNode,
        di,
        messages.unhandledDeleg(ctx.unit.name, d.api, di, ctx.opts.era),
        [],
        { kind: 'add-wait-retry', after: d.siteEnd, diVar: di, label: null, era: ctx.opts.era },
      );
    }
  },

  /** After break_deleg_wait(), the operation must be retried: some path must lead back to the call. */
  onFinish(ctx) {
    // The waits, and the nodes of the calls that record into each local delegated inode.
    const waitSites: { node: number; di: string | null; op: SNode }[] = [];
    const delegCallNodes = new Map<string, number[]>();
    ctx.ops.forEach((ops, id) => {
      for (const op of ops) {
        if ((op.k === 'delegOp' || op.k === 'break') && op.out?.kind === 'local') {
          const list = delegCallNodes.get(op.out.name) ?? [];
          list.push(id);
          delegCallNodes.set(op.out.name, list);
        }
        if (op.k === 'wait') waitSites.push({ node: id, di: op.di, op: op.node });
      }
    });
    for (const w of waitSites) {
      if (!w.di) continue;
      const calls = delegCallNodes.get(w.di) ?? [];
      if (!calls.length) continue;
      const reach = reachable(ctx.cfg, w.node);
      if (!calls.some((c) => reach.has(c))) {
        ctx.report('deleg/unhandled-delegated-inode', 'warning', w.op, w.di, messages.noRetry(ctx.unit.name, w.di), []);
      }
    }
  },
};
