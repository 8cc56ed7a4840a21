/** The rule modules (src/core/rules/): one per documented rule, registered once, each seeing only its RuleContext. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RULE_MODULES } from '../../src/core/rules/index';
import { RULES, ruleDocPath } from '../../src/core/rules/rules';
import { nullDelegatedInode } from '../../src/core/rules/null-delegated-inode';
import type { OpOf, RuleContext } from '../../src/core/rules/context';
import { emptyState } from '../../src/core/analysis/state';
import type { SNode } from '../../src/core/parse/syntax';

const ROOT = join(__dirname, '..', '..', '..');

test('every rule id is reported by exactly one registered module, and every module id is a documented rule', () => {
  const owners = new Map<string, number>();
  for (const m of RULE_MODULES) for (const id of m.ids) owners.set(id, (owners.get(id) ?? 0) + 1);
  for (const r of RULES) assert.equal(owners.get(r.id), 1, `${r.id} is owned by ${owners.get(r.id) ?? 0} modules`);
  for (const id of owners.keys()) {
    assert.ok(
      RULES.some((r) => r.id === id),
      `${id} has no metadata`,
    );
    assert.ok(existsSync(join(ROOT, ruleDocPath(id))), `${ruleDocPath(id)} is missing`);
  }
  assert.equal(new Set(RULE_MODULES).size, RULE_MODULES.length, 'a module is registered twice');
});

/** A context offering only `given`: any other member a rule touches fails the test. */
function contextWith(given: Partial<RuleContext>): {
  ctx: RuleContext;
  reports: { ruleId: string; severity: string; key: string; message: string }[];
} {
  const reports: { ruleId: string; severity: string; key: string; message: string }[] = [];
  const members: Partial<RuleContext> = {
    ...given,
    report: (ruleId, severity, _node, key, message) => {
      reports.push({ ruleId, severity, key, message });
    },
  };
  const ctx = new Proxy(members, {
    get(target, prop: string) {
      if (!(prop in target)) throw new Error(`the rule used ctx.${prop}, which this test does not offer`);
      return target[prop as keyof RuleContext];
    },
  }) as RuleContext;
  return { ctx, reports };
}

function delegOp(out: OpOf<'delegOp'>['out']): OpOf<'delegOp'> {
  return {
    k: 'delegOp',
    api: 'notify_change',
    out,
    requires: [],
    breaks: ['dentry.d_inode'],
    node: { start: 10, end: 30 } as SNode,
    display: ['inode'],
    result: null,
  };
}

test('a rule module decides from its context alone: null-delegated-inode with a stub engine', () => {
  const unit = { name: 'f' } as RuleContext['unit'];
  const queries = { unit, isExempt: () => false, noDelegation: () => false };
  // NULL passed, nothing says NULL is what the API wants: reported once, as info, naming the inode the call shows.
  const plain = contextWith({ ...queries, isWriteOpen: () => false });
  nullDelegatedInode.onDelegOp!(plain.ctx, delegOp({ kind: 'null' }), emptyState());
  assert.equal(plain.reports.length, 1);
  assert.equal(plain.reports[0].ruleId, 'deleg/null-delegated-inode');
  assert.equal(plain.reports[0].severity, 'info');
  assert.equal(plain.reports[0].key, 'inode');
  assert.match(plain.reports[0].message, /^f: /);
  // A file open for write on the inode (the engine's answer): NULL is what notify_change asks for, no note.
  const open = contextWith({ ...queries, isWriteOpen: (_s, key) => key === 'dentry.d_inode' });
  nullDelegatedInode.onDelegOp!(open.ctx, delegOp({ kind: 'null' }), emptyState());
  assert.equal(open.reports.length, 0);
  // A local delegated inode: not this rule's business, and it asks the engine nothing.
  const local = contextWith({});
  nullDelegatedInode.onDelegOp!(local.ctx, delegOp({ kind: 'local', name: 'delegated_inode' }), emptyState());
  assert.equal(local.reports.length, 0);
});
