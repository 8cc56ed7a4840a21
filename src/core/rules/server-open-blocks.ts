/**
 * lease/server-open-blocks: a server context that must not wait for a recall (catalogue `nonBlockingContexts` with
 * `opensBreakFirst`: nfsd's struct svc_rqst / svc_fh) opens a file (dentry_open()) on a path where nothing broke the
 * inode's leases without blocking first. do_dentry_open()'s own break_lease() then sleeps until a lease or delegation
 * is returned. See docs/rules/lease-server-open-blocks.md.
 */
import { messageContext, messages } from './messages';
import type { Rule } from './context';

export const serverOpenBlocks: Rule = {
  ids: ['lease/server-open-blocks'],

  onOpen(ctx, op, s) {
    if (s.lossy || op.rule !== 'lease/server-open-blocks' || !op.key) return;
    const server = messageContext().opensBreakFirst;
    if (!server) return;
    // A break (or a helper that breaks on some of its paths) of this inode, or of any inode when the path holds only
    // one such break: the analysis may know the opened inode under another name.
    const tries = [...s.facts.keys()].filter((f) => f.startsWith('#leasetry:'));
    if (tries.length) return;
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
