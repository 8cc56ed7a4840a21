/**
 * deleg/null-delegated-inode (info): NULL passed for delegated_inode to a call that breaks a delegation. The call then
 * fails with -EWOULDBLOCK where a delegation is held instead of recording the inode for a wait: right for nfsd,
 * overlayfs, ksmbd, ecryptfs and other kernel-internal users, wrong for a syscall path. See
 * docs/rules/deleg-null-delegated-inode.md.
 */
import { messages } from './messages';
import type { Rule } from './context';

export const nullDelegatedInode: Rule = {
  ids: ['deleg/null-delegated-inode'],

  onDelegOp(ctx, op, s) {
    if (op.out.kind !== 'null') return;
    // ATTR_DELEG (on behalf of the holder), or a file open for write on the inode: NULL is what the API asks for.
    if (ctx.isExempt(s) || op.breaks.some((b) => ctx.isWriteOpen(s, b) || ctx.noDelegation(s, b))) return;
    ctx.report(
      'deleg/null-delegated-inode',
      'info',
      op.node,
      op.display[0] ?? '',
      messages.nullOut(ctx.unit.name, op.api, op.display[0] ?? 'the inode'),
      [],
    );
  },
};
