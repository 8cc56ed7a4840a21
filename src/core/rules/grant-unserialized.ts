/**
 * lease/grant-unserialized: a lease or delegation added without the inode lock (generic_add_lease() grants
 * delegations only under inode_trylock()), or without re-checking conflicting opens after inserting it (24cbe7845ea5);
 * and nfsd's own protocol, where a delegation granted by kernel_setlease() is re-verified after the grant. See
 * docs/rules/lease-grant-unserialized.md.
 */
import type { SNode } from '../parse/syntax';
import { reachable } from '../cfg/graph';
import { factMessages } from '../analysis/fact-messages';
import { messages } from './messages';
import type { Rule, RuleContext } from './context';

/** Whether some conflicting-open check can run before CFG node `id` (the check need not be on every path). */
function checkPrecedes(ctx: RuleContext, id: number): boolean {
  for (let i = 0; i < ctx.ops.length; i++) {
    if (i !== id && ctx.ops[i].some((o) => o.k === 'conflictCheck') && reachable(ctx.cfg, i).has(id)) return true;
  }
  return false;
}

/** Some condition of the function tests a delegation flag (FL_DELEG): it distinguishes delegations from leases. */
function testsDelegationFlag(ctx: RuleContext): boolean {
  for (const n of ctx.cfg.nodes) {
    const a = ctx.conditionFact(n.id);
    if (!a) continue;
    for (const f of [a.fact, a.implies?.fact])
      if (f && f.startsWith('flag:') && ctx.cat.delegationFlags.has(f.split(':')[1])) return true;
  }
  return false;
}

export const grantUnserialized: Rule = {
  ids: ['lease/grant-unserialized'],

  onGrant(ctx, op, s, deleg, node) {
    // Not yet tested on this path, but the function does distinguish delegations: this may be one.
    if (deleg === undefined && testsDelegationFlag(ctx)) deleg = true;
    if (deleg === true && !op.locksItself) {
      // The grant's own trylock: a lock the analysis assumed the caller holds does not count (vfs_setlease holds none).
      const held = op.inode
        ? ctx.heldExclusive(s, op.inode)
        : [...s.locks.values()].find((l) => l.class === 'inode' && l.mode === 'exclusive');
      if (!held || held.origin === 'entry') {
        ctx.report(
          'lease/grant-unserialized',
          'error',
          op.node,
          op.inode ?? '',
          messages.grantUnlocked(ctx.unit.name, op.api, op.inode ? ctx.show(op.inode) : 'the inode'),
          [],
        );
      }
    }
    // A grant that owes no re-check afterwards must come after one.
    if (!op.recheckAfter && !s.checked && !checkPrecedes(ctx, node))
      ctx.report(
        'lease/grant-unserialized',
        'error',
        op.node,
        op.inode ?? '',
        messages.grantNoCheck(ctx.unit.name, op.api),
        [],
      );
  },

  /** A grant on this path not re-checked (conflicting opens, and what nfsd verified before it) by a successful return. */
  onExit(ctx, s) {
    for (const g of s.grants.values()) {
      if (s.ret?.kind === 'err') continue;
      // A check owed where a parameter is not NULL (nfsd's delegation for a name): a branch that found it NULL
      // dropped it (FunctionAnalyzer.dropOwedWhenNull).
      const owed = g.missingUnlessNull ?? [];
      if (g.rechecked && !owed.length) continue;
      const missing = [...new Set([...(g.rechecked ? [] : (g.missing ?? ['opens'])), ...owed.map(([c]) => c)])];
      ctx.report(
        'lease/grant-unserialized',
        'error',
        { start: g.site, end: g.siteEnd } as SNode,
        '',
        g.api
          ? factMessages.grantNoRecheckAfter(ctx.unit.name, g.api, missing)
          : messages.grantNoRecheck(ctx.unit.name),
        [],
      );
    }
  },
};
