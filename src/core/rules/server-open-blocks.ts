/**
 * lease/server-open-blocks: a server context that must not wait for a recall (catalogue `nonBlockingContexts` with
 * `opensBreakFirst`: nfsd's struct svc_rqst / svc_fh) opens a file (dentry_open()) on a path where nothing broke the
 * inode's leases without blocking first. do_dentry_open()'s own break_lease() then sleeps until a lease or delegation
 * is returned. See docs/rules/lease-server-open-blocks.md.
 */
import { LEASE_TRY } from '../analysis/state';
import { messageContext, messages } from './messages';
import type { Rule } from './context';

export const serverOpenBlocks: Rule = {
  ids: ['lease/server-open-blocks'],

  onOpen(ctx, op, s) {
    if (s.lossy || op.rule !== 'lease/server-open-blocks' || !op.key) return;
    const server = messageContext().opensBreakFirst;
    if (!server) return;
    // A lease break on this path (or a helper's that breaks on some of its paths), of any inode: the analysis may
    // know the opened inode under another name.
    for (const f of s.facts.keys()) if (f.startsWith(LEASE_TRY)) return;
    const display = ctx.show(op.key);
    ctx.report(
      'lease/server-open-blocks',
      op.severity ?? 'warning',
      op.node,
      op.key,
      messages.serverOpenBlocks(ctx.unit.name, op.api, display, server),
      [],
    );
  },
};
