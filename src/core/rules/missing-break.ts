/**
 * deleg/missing-break and deleg/dir-missing-break (6.19+): a name or attribute change of an inode (missing-break), or
 * a directory entry created, removed or renamed in a directory (dir-missing-break), with no prior break of that
 * inode's delegation on the path. See docs/rules/deleg-missing-break.md and docs/rules/deleg-dir-missing-break.md.
 *
 * One module for both: they are decided by the same code (the change's kind picks the id), and splitting them would
 * duplicate it. A change after a break that was not made under the lock is deleg/break-unlocked (break-unlocked.ts),
 * a directory's own change deleg/dir-self-break (dir-self-break.ts); `changeToCheck` is the gate all three share.
 */
import type { BreakSt, State } from '../analysis/state';
import type { Related, RuleId, Severity } from '../analysis/types';
import { factMessages } from '../analysis/fact-messages';
import { flagFact } from '../analysis/atoms';
import { messages } from './messages';
import { changeKind } from './dir-self-break';
import { lockedHere, type OpOf, type Rule, type RuleContext } from './context';

type MutateOp = OpOf<'mutate' | 'summaryMutate'>;

/**
 * The change an inode's delegation must be broken for, on this path, with its break if any; null when no delegation
 * can be in the way (exempt, private or pseudo-filesystem inode, file open for write, a directory where only files
 * are delegated, a directory's own change) or the rule is off for this kernel.
 */
export function changeToCheck(
  ctx: RuleContext,
  op: MutateOp,
  s: State,
): { op: MutateOp; key: string; isDirRule: boolean; b: BreakSt | undefined } | null {
  if (changeKind(ctx, op, s) !== 'other') return null;
  const key = op.key;
  const isDirRule = op.kind === 'dirent';
  if (isDirRule && !ctx.opts.dirRules) return null;
  // No delegation can exist: a private or pseudo-filesystem inode, or a file this path holds open for write.
  if (ctx.noDelegation(s, key)) return null;
  if (!isDirRule && ctx.isWriteOpen(s, key)) return null;
  if (!isDirRule) {
    const dirOnly = op.k === 'mutate' && op.dirOnly;
    if ((s.facts.get(`isDir:${key}`) === true || dirOnly) && (op.kind === 'names' || ctx.opts.era !== '6.19'))
      return null;
    if (op.dirIf && s.facts.get(`isDir:${op.dirIf}`) === true) return null;
  }
  const b = ctx.brokenOf(s, key);
  // One name for the inode in the whole report (message, related, fix): a local that names it, else the call's expression.
  return { op: { ...op, display: ctx.displayName(key, op.display) }, key, isDirRule, b };
}

export const missingBreak: Rule = {
  ids: ['deleg/missing-break', 'deleg/dir-missing-break'],

  onMutate(ctx, op0, s) {
    const c = changeToCheck(ctx, op0, s);
    if (!c) return;
    const { op, key, isDirRule, b } = c;
    const rule: RuleId = isDirRule ? 'deleg/dir-missing-break' : 'deleg/missing-break';
    if (b && (b.unchecked || b.failed)) {
      const related: Related[] = [
        {
          start: b.site,
          end: b.siteEnd,
          message: b.failed
            ? 'the break fails here (-EWOULDBLOCK) on this path'
            : 'the result of this break is never tested',
        },
      ];
      ctx.report(
        rule,
        op.severity ?? 'error',
        op.node,
        key,
        factMessages.breakIgnored(ctx.unit.name, op.api, op.what, op.display, !!b.failed),
        related,
      );
      return;
    }
    // A break was made: whether under the lock is deleg/break-unlocked's question.
    if (b) return;
    const severity: Severity = op.severity ?? 'error';
    const related: Related[] = [];
    const held = ctx.heldExclusive(s, key);
    if (held) related.push(lockedHere(held, op.display));
    // No break before the change.
    if (!held && !ctx.opts.noCallers && ctx.callerResponsible(s, key)) {
      const role = ctx.roleOf(key)!;
      ctx.chargeCallers({
        role,
        kind: op.kind,
        what: op.what,
        dirIf: op.dirIf ? (ctx.roleOf(op.dirIf) ?? undefined) : undefined,
        site: op.node.start,
        severity: op.severity,
        note: op.note,
        // A callee's change made only under flags of a word this function was handed: its callers' words decide.
        onlyIf:
          op.k === 'summaryMutate'
            ? op.onlyIf?.flatMap((c) => {
                const r = ctx.roleOf(c.key);
                return r ? [{ role: r, flag: c.flag }] : [];
              })
            : undefined,
      });
      return;
    }
    // A callee's change made only under a flag the kernel sets right before notify_change() (ATTR_KILL_PRIV), in a
    // word not known to carry it: not claimed.
    if (
      op.k === 'summaryMutate' &&
      op.onlyIf?.some((c) => ctx.cat.internalFlags.has(c.flag) && s.facts.get(flagFact(c.flag, c.key)) !== true)
    )
      return;
    const note = op.note;
    // Another inode locked by this function here may be this one under a name the analysis cannot equate: the message
    // then says so rather than claiming this inode is unlocked.
    const other = held ? undefined : ctx.otherLocalLock(s);
    if (other) related.push(other.related);
    const message = isDirRule
      ? messages.dirMissingBreak(ctx.unit.name, op.api, op.what, op.display, note, !!held)
      : messages.missingBreak(ctx.unit.name, op.api, op.what, op.display, !!held, ctx.opts.era, other?.shown);
    const finding = ctx.make(rule, severity, op.node.start, op.node.end, op.display, message, related);
    finding.fix = {
      kind: 'insert-try-break',
      inode: op.display,
      before: op.node.start,
      indent: 0,
      outParam: ctx.outParamName(),
    };
    // In a static function with callers in this file, a parameter-derived inode may be a directory at every call
    // site (files-only delegations): let the callers decide.
    const unlessDir = [ctx.roleOf(key), op.dirIf ? ctx.roleOf(op.dirIf) : null].filter((r): r is string => !!r);
    // Likewise a non-static function whose callers in other files are all known direct calls (with the tree's index).
    if (!isDirRule && unlessDir.length && ((ctx.unit.isStatic && ctx.staticCallers > 0) || ctx.opts.treeCallers)) {
      ctx.deferToCallers({ finding, unlessDir });
      return;
    }
    if (!isDirRule && unlessDir.length && !ctx.unit.isStatic) ctx.markDeferrable();
    ctx.add(finding);
  },
};
