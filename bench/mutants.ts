/**
 * `npm run bench:mutants`: a systematic mutant sweep over ../shared/kernel-corpus (read in place). Two kinds:
 *
 * - BUG mutants: every call site of the VFS core and its stacking users (nfsd, overlayfs, ksmbd, cachefiles, ecryptfs,
 *   locks.c, the open paths), in all releases, is mutated with the operators of the analyzer issues, one mutant at a
 *   time: a break deleted, moved before its lock, made blocking, its result ignored, the wait/retry dropped, an unlock
 *   dropped, a lock region removed, a trylock dropped, a conflicting-opens re-check after a grant dropped, and the same
 *   inside a static helper that a locked caller uses (cross-function). A bug mutant is caught when the file gains an
 *   error or warning (a rule/function pair the original does not have).
 * - EQUIVALENCE mutants: behaviour-preserving refactors of the same functions (a break moved into a new static helper
 *   called at the same point, the inode lock and unlock wrapped in static helpers, locals renamed, a local alias for an
 *   inode, a condition split into a bool, `goto` ladders turned into early returns that release the same locks). Any
 *   new error or warning on a refactor is a false finding; the target is none.
 *
 * All edits are made from the syntax tree (callee names, statement nodes), never by searching the text. Prints totals
 * per operator and per area, each survivor and each false finding. `node out/bench/mutants.js [path-substring]
 * [--bugs|--refactors] [--syntax] [--headers]` runs a subset (`--syntax`: only checks that every mutant still parses;
 * `--headers`: see HEADERS). Slow
 * (several minutes on two busy cores): it is not part of `npm run bench`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Analyzer, type FileResult } from '../src/core/engine';
import { collectFiles } from '../src/cli/files';
import { fileIndex } from '../src/cli/tree';
import { IndexSnapshot } from '../src/core/index/summary-index';
import { nodeWasmSource } from '../src/core/parse/node-wasm';
import type { SNode } from '../src/core/parse/syntax';
import { CORPUS } from '../test/helpers/corpus';
import { Edits, FileView, type Call, type FnView } from '../test/helpers/mutate';

const LOCKS = new Set([
  'inode_lock',
  'inode_lock_nested',
  'inode_lock_killable',
  'mutex_lock',
  'mutex_lock_nested',
  'lock_two_nondirectories',
  'lock_two_inodes',
  'lock_rename',
  'lock_rename_child',
  'inode_lock_shared',
  'down_write',
  'fh_lock',
  'fh_lock_nested',
]);
/** Releases, including the 6.19+ end_* helpers that drop the parent lock a start_* helper took. */
const UNLOCKS = new Set([
  'inode_unlock',
  'mutex_unlock',
  'unlock_two_nondirectories',
  'unlock_two_inodes',
  'unlock_rename',
  'inode_unlock_shared',
  'fh_unlock',
  'end_dirop',
  'end_creating',
  'end_removing',
  'end_renaming',
  'done_path_create',
  'end_creating_path',
  'end_removing_path',
]);
const TRYLOCKS = new Set(['inode_trylock', 'mutex_trylock']);
const BREAKS = new Set(['try_break_deleg', 'break_deleg', 'break_lease', '__break_lease']);
/** Calls that change an inode (or its names) and so need a delegation break under the lock. */
const CHANGES = new Set([
  'notify_change',
  'vfs_unlink',
  'vfs_link',
  'vfs_rename',
  'vfs_rmdir',
  'vfs_mkdir',
  'vfs_create',
  'vfs_mknod',
  'vfs_symlink',
  '__vfs_setxattr_locked',
  '__vfs_removexattr_locked',
  '__vfs_setxattr',
  '__vfs_removexattr',
  '__vfs_setxattr_noperm',
  'simple_setattr',
  'set_posix_acl',
  '__set_posix_acl',
  'do_truncate',
]);
/** Grants of a lease or delegation, and the conflict re-checks that must follow them. */
const GRANTS = new Set(['kernel_setlease', 'vfs_setlease', 'locks_insert_lock_ctx', 'locks_insert_lock']);
const RECHECKS = new Set(['check_conflicting_open', 'nfsd4_check_conflicting_opens', 'nfsd4_verify_deleg_dentry']);
/** Large files that are not VFS paths: only the grant operators run there. */
const GRANT_ONLY = /nfs4state\.c$|(?<!ecryptfs)\/inode\.c$/;

export type Kind = 'bug' | 'refactor';
interface Mutant {
  kind: Kind;
  op: string;
  fn: string;
  make: () => string;
  /** What the mutant is compared with, when not the original file (a bug planted in a refactored file). */
  base?: () => string;
}

/** The inodes a lock call locks: its arguments, with `&X->i_mutex` / `&X->i_rwsem` read as X. */
function lockSubjects(v: FileView, lock: SNode): string[] {
  return v.args(lock).map((a) => {
    let n = a;
    if (n.type === 'pointer_expression' && v.t(n).startsWith('&') && n.children[0]) n = n.children[0];
    if (n.type === 'field_expression' && n.children[1] && ['i_mutex', 'i_rwsem'].includes(v.t(n.children[1])))
      n = n.children[0];
    return v.t(n).replace(/\s+/g, '');
  });
}

/** The nearest lock before `at` that locks `subject` (null when the lock is taken elsewhere, e.g. by the caller). */
function lockOf(v: FileView, locks: Call[], subject: string, at: number): Call | null {
  return locks.filter((l) => l.end <= at && lockSubjects(v, l.node).includes(subject)).pop() ?? null;
}

/** Calls that make a break inside, under a lock their caller must hold, by release. */
function breaksInside(callee: string, major: number, minor: number): boolean {
  const at = (M: number, m: number) => major > M || (major === M && minor >= m);
  if (callee === 'notify_change') return at(3, 13);
  if (callee === '__vfs_setxattr_locked' || callee === '__vfs_removexattr_locked') return true;
  return at(6, 19) && /^vfs_(create|mkdir|mknod|symlink|unlink|rmdir|link|rename)$/.test(callee);
}

const relevant = (c: string) => LOCKS.has(c) || UNLOCKS.has(c) || TRYLOCKS.has(c) || BREAKS.has(c) || CHANGES.has(c);

/** The area of a corpus file, for the per-area table. */
function area(rel: string, fn: string): string {
  if (rel.includes('/fs/nfsd/')) return 'nfsd';
  if (rel.includes('/fs/overlayfs/')) return 'overlayfs';
  if (rel.includes('/fs/smb/server/')) return 'ksmbd';
  if (rel.includes('/fs/cachefiles/')) return 'cachefiles';
  if (rel.includes('/fs/ecryptfs/')) return 'ecryptfs';
  if (rel.endsWith('/fs/locks.c')) return 'locks.c';
  if (
    rel.endsWith('/fs/open.c') ||
    (rel.endsWith('/fs/namei.c') && /^(do_open|handle_truncate|may_open|path_openat|do_last)$/.test(fn))
  )
    return 'open paths';
  return 'vfs core';
}

/** The release of a corpus file from its directory (v6.19/...), as [major, minor]. */
function release(rel: string): [number, number] {
  const m = /^v(\d+)\.(\d+)/.exec(rel);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

function bugMutants(v: FileView, f: FnView, grantOnly: boolean, [major, minor]: [number, number]): Mutant[] {
  const dirEra = major > 6 || (major === 6 && minor >= 19);
  const out: Mutant[] = [];
  const add = (op: string, edit: (e: Edits) => void) =>
    out.push({
      kind: 'bug',
      op,
      fn: f.name,
      make: () => {
        const e = new Edits(v.text);
        edit(e);
        return e.result();
      },
    });
  const all = v.calls(f.body, relevant);
  const locks = all.filter((c) => LOCKS.has(c.callee));

  // Grant protocol (every file): a trylock dropped, a conflicting-opens re-check after a grant dropped.
  for (const c of all.filter((x) => TRYLOCKS.has(x.callee))) add('drop-trylock', (e) => e.replace(c.start, c.end, '1'));
  const grants = v.calls(f.body, (c) => GRANTS.has(c));
  if (grants.length) {
    for (const r of v.calls(f.body, (c) => RECHECKS.has(c)).filter((r) => r.start > grants[0].end)) {
      const ifStmt =
        r.node.parent?.type === 'parenthesized_expression' && r.node.parent.parent?.type === 'if_statement'
          ? r.node.parent.parent
          : null;
      if (ifStmt) add('drop-recheck', (e) => e.replace(ifStmt.start, ifStmt.end, ';'));
      else add('drop-recheck', (e) => e.replace(r.start, r.end, '0'));
    }
  }
  if (grantOnly) return out;

  // Is this a static helper that a caller in the file invokes with a lock taken before the call?
  const lockedCaller =
    f.isStatic &&
    v.fns.some(
      (g) =>
        g !== f &&
        v
          .calls(g.body, (c) => c === f.name)
          .some((site) => v.calls(g.body, (c) => LOCKS.has(c)).some((l) => l.end <= site.start)),
    );

  for (const b of all.filter((c) => BREAKS.has(c.callee))) {
    const firstArg = v.args(b.node)[0];
    const dir = dirEra && b.callee === 'try_break_deleg' && !!firstArg && /dir/.test(v.t(firstArg));
    const prefix = lockedCaller ? 'xfn-delete' : dir ? 'delete-dir' : 'delete';
    add(`${prefix} ${b.callee}`, (e) => e.replace(b.start, b.end, '0'));
    // Moved before the lock of its own inode (inserted before that lock's statement in its block).
    const lock = firstArg ? lockOf(v, locks, v.t(firstArg).replace(/\s+/g, ''), b.start) : null;
    const lockStmt = lock ? v.blockStatementOf(lock.node) : null;
    if (lockStmt)
      add(`move-before-lock ${b.callee}`, (e) =>
        e.insert(lockStmt.start, `${b.text};\n\t`).replace(b.start, b.end, '0'),
      );
    if (b.callee === 'try_break_deleg' && firstArg)
      add('blocking try_break_deleg', (e) => e.replace(b.start, b.end, `break_deleg(${v.t(firstArg)}, O_WRONLY)`));
    ignoreResult(v, b, add);
  }
  // The wait/retry after a blocked break.
  for (const w of all.length ? v.calls(f.body, (c) => c === 'break_deleg_wait') : []) {
    let n: SNode | null = w.node;
    while (n && n.type !== 'if_statement') n = n.parent;
    if (n) {
      const s = n;
      add('drop-retry', (e) => e.replace(s.start, s.end, ';'));
    }
  }
  for (const u of all.filter((c) => UNLOCKS.has(c.callee)))
    add(`drop ${u.callee}`, (e) => e.replace(u.stmtStart, u.stmtEnd, ';'));
  // A whole lock region removed (the lock and every release of the same object), when it covers a change or break.
  for (const l of locks) {
    const arg = v.args(l.node)[0];
    if (!arg) continue;
    const key = v.t(arg);
    const rel = all.filter(
      (u) => UNLOCKS.has(u.callee) && u.start > l.end && v.args(u.node)[0] && v.t(v.args(u.node)[0]) === key,
    );
    if (!rel.length) continue;
    const last = rel[rel.length - 1];
    // Only regions that protect a break: a call that breaks inside under this lock, or a break of the locked inode.
    const subjects = lockSubjects(v, l.node);
    const inside = (c: Call) => c.start > l.end && c.end < last.start;
    const protects = all.some(
      (c) =>
        inside(c) &&
        (breaksInside(c.callee, major, minor) ||
          (BREAKS.has(c.callee) && v.args(c.node)[0] && subjects.includes(v.t(v.args(c.node)[0]).replace(/\s+/g, '')))),
    );
    if (!protects) continue;
    const ls = v.blockStatementOf(l.node);
    if (!ls || ls.end > l.end + 2 || v.t(ls).trim() !== `${l.text};`) continue;
    add('unlock-region', (e) => {
      e.replace(ls.start, ls.end, ';');
      for (const u of rel) e.replace(u.stmtStart, u.stmtEnd, ';');
    });
  }
  return out;
}

/** A break whose result is ignored: `if (BREAK) ...` becomes `(void)BREAK;`, or the test after `x = BREAK;` goes. */
function ignoreResult(v: FileView, b: Call, add: (op: string, edit: (e: Edits) => void) => void): void {
  const p = b.node.parent;
  if (
    p?.type === 'parenthesized_expression' &&
    p.parent?.type === 'if_statement' &&
    !p.parent.children.some((c) => c.type === 'else_clause')
  ) {
    const s = p.parent;
    add(`ignore-result ${b.callee}`, (e) => e.replace(s.start, s.end, `(void)${b.text};`));
    return;
  }
  let variable: string | null = null;
  let stmt: SNode | null = null;
  if (
    p?.type === 'assignment_expression' &&
    p.children[0]?.type === 'identifier' &&
    p.parent?.type === 'expression_statement'
  ) {
    variable = v.t(p.children[0]);
    stmt = p.parent;
  } else if (
    p?.type === 'init_declarator' &&
    p.children[0]?.type === 'identifier' &&
    p.parent?.type === 'declaration'
  ) {
    variable = v.t(p.children[0]);
    stmt = p.parent;
  }
  if (!variable || !stmt) return;
  const next = v.nextSibling(stmt);
  if (next?.type !== 'if_statement' || next.children.some((c) => c.type === 'else_clause')) return;
  if (!v.mentions(next.children[0], variable)) return;
  // `if (!error) change();` gates the change on success: ignoring the result runs the change anyway. Otherwise the
  // test is the failure exit (`if (error) goto out;`), which goes.
  const cond = v.t(next.children[0]).replace(/\s+/g, '');
  const body = next.children[1];
  if (body && (cond === `(!${variable})` || cond === `(${variable}==0)`)) {
    add(`ignore-result ${b.callee}`, (e) => e.replace(next.start, next.end, v.t(body)));
    return;
  }
  add(`ignore-result ${b.callee}`, (e) => e.replace(next.start, next.end, ';'));
}

/**
 * Cross-function bugs planted in a refactored file: the break is first moved into a new static helper called at the
 * same point (the eq-break-helper refactor), then the helper's break is removed, or the helper's call is moved before
 * the lock. Compared with the refactored file, so a mutant counts as caught only if the analyzer tells the bug from
 * the correct refactor.
 */
function crossFunctionMutants(v: FileView, f: FnView, deleg: string): Mutant[] {
  const out: Mutant[] = [];
  const all = v.calls(f.body, relevant);
  const locks = all.filter((c) => LOCKS.has(c.callee));
  for (const b of all.filter((c) => HELPER_SIG[c.callee] && v.args(c.node).length === 2)) {
    const name = `vfslock_x${helperSeq++}`;
    const sig = HELPER_SIG[b.callee].replace('DELEG', deleg);
    const helper = (body: string) => `static int ${name}(${sig})\n{\n\t${body}\n}\n\n`;
    const call = (e: Edits) => e.replace(b.node.children[0].start, b.node.children[0].end, name);
    const base = () =>
      call(new Edits(v.text).insert(f.start, helper(`return ${b.callee}(${HELPER_PARAMS[b.callee]});`))).result();
    out.push({
      kind: 'bug',
      op: `xfn-helper-delete ${b.callee}`,
      fn: f.name,
      base,
      make: () => call(new Edits(v.text).insert(f.start, helper('return 0;'))).result(),
    });
    const firstArg = v.args(b.node)[0];
    const lock = lockOf(v, locks, v.t(firstArg).replace(/\s+/g, ''), b.start);
    const lockStmt = lock ? v.blockStatementOf(lock.node) : null;
    if (lockStmt) {
      const args = v.text.slice(b.node.children[1].start, b.node.children[1].end);
      out.push({
        kind: 'bug',
        op: `xfn-helper-move ${b.callee}`,
        fn: f.name,
        base,
        make: () =>
          new Edits(v.text)
            .insert(f.start, helper(`return ${b.callee}(${HELPER_PARAMS[b.callee]});`))
            .insert(lockStmt.start, `${name}${args};\n\t`)
            .replace(b.start, b.end, '0')
            .result(),
      });
    }
  }
  return out;
}

const HELPER_SIG: Record<string, string> = {
  try_break_deleg: 'struct inode *inode, DELEGdi',
  break_deleg: 'struct inode *inode, unsigned int mode',
  break_lease: 'struct inode *inode, unsigned int mode',
};
const HELPER_PARAMS: Record<string, string> = {
  try_break_deleg: 'inode, di',
  break_deleg: 'inode, mode',
  break_lease: 'inode, mode',
};

let helperSeq = 0;
/** VFSLOCK_MUTANT_DUMP=dir writes every mutant there (to read a sample by eye, or diff against the original). */
const DUMP = process.env.VFSLOCK_MUTANT_DUMP;
/** `--syntax`: parse every mutant instead of analysing it, and report those that break a function's syntax. */
const SYNTAX = process.argv.includes('--syntax');
/**
 * `--headers`: check each mutant as `vfslock check FILE` does, with the `static inline` helpers of the headers beside
 * the file it includes (overlayfs.h's `ovl_do_*()` and `ovl_start_*()`), summarised once per corpus file. Without it
 * each .c file is checked alone, as the sweep always did (its figures in docs/benchmarks.md are comparable).
 */
const HEADERS = process.argv.includes('--headers');
let dumped = 0;

function refactorMutants(v: FileView, f: FnView, deleg: string): Mutant[] {
  const out: Mutant[] = [];
  const add = (op: string, edit: (e: Edits) => void) =>
    out.push({
      kind: 'refactor',
      op,
      fn: f.name,
      make: () => {
        const e = new Edits(v.text);
        edit(e);
        return e.result();
      },
    });
  const all = v.calls(f.body, relevant);
  if (!all.length) return out;
  const id = () => `vfslock_eq${helperSeq++}`;

  // 1. The break moved into a new static helper called at the same point (wait/retry stay in the caller).
  for (const b of all.filter((c) => HELPER_SIG[c.callee] && v.args(c.node).length === 2)) {
    const name = id();
    add('eq-break-helper', (e) =>
      e
        .insert(
          f.start,
          `static int ${name}(${HELPER_SIG[b.callee].replace('DELEG', deleg)})\n{\n\treturn ${b.callee}(${HELPER_PARAMS[b.callee]});\n}\n\n`,
        )
        .replace(b.node.children[0].start, b.node.children[0].end, name),
    );
  }

  // 2. inode_lock/inode_unlock (and the i_mutex spellings) wrapped in static helpers.
  const wrap: Record<string, [string, string]> = {
    inode_lock: ['struct inode *inode', 'inode'],
    inode_unlock: ['struct inode *inode', 'inode'],
    inode_lock_nested: ['struct inode *inode, unsigned int subclass', 'inode, subclass'],
    mutex_lock: ['struct mutex *m', 'm'],
    mutex_unlock: ['struct mutex *m', 'm'],
    mutex_lock_nested: ['struct mutex *m, unsigned int subclass', 'm, subclass'],
  };
  const wrapped = all.filter((c) => wrap[c.callee]);
  if (wrapped.some((c) => LOCKS.has(c.callee)) && wrapped.some((c) => UNLOCKS.has(c.callee))) {
    const base = id();
    add('eq-lock-helpers', (e) => {
      const used = [...new Set(wrapped.map((c) => c.callee))];
      e.insert(
        f.start,
        used.map((c) => `static void ${base}_${c}(${wrap[c][0]})\n{\n\t${c}(${wrap[c][1]});\n}\n\n`).join(''),
      );
      for (const c of wrapped) e.replace(c.node.children[0].start, c.node.children[0].end, `${base}_${c.callee}`);
    });
  }

  // 3. Locals renamed (every identifier use of a name declared in the body).
  const locals = new Set<string>();
  const declarators: SNode[] = [];
  walkDecls(f.body, (d) => declarators.push(d));
  for (const d of declarators) locals.add(v.t(d));
  if (locals.size) {
    add('eq-rename', (e) => {
      for (const name of locals) for (const n of v.identifiers(f.body, name)) e.replace(n.start, n.end, `${name}_r`);
    });
  }

  // 4. A local alias for an inode: `struct inode *X_alias = X;`, then the lock calls (or every use) name the alias.
  const candidates = inodeNames(v, f, declarators);
  for (const [name, insertAt] of candidates) {
    const uses = v.identifiers(f.body, name).filter((n) => n.start > insertAt);
    const inLocks = uses.filter((n) =>
      all.some((c) => (LOCKS.has(c.callee) || UNLOCKS.has(c.callee)) && n.start > c.start && n.end < c.end),
    );
    if (!inLocks.length) continue;
    const alias = `${name}_alias`;
    add('eq-alias-lock', (e) => {
      e.insert(insertAt, `\n\tstruct inode *${alias} = ${name};`);
      for (const n of inLocks) e.replace(n.start, n.end, alias);
    });
    add('eq-alias-all', (e) => {
      e.insert(insertAt, `\n\tstruct inode *${alias} = ${name};`);
      for (const n of uses) e.replace(n.start, n.end, alias);
    });
  }

  // 5. A condition split into a bool: ifs that test a trylock, the result of a break or change, or guard the wait.
  const ifs: SNode[] = [];
  walkType(f.body, 'if_statement', (s) => {
    const cond = s.children[0];
    if (cond?.type !== 'parenthesized_expression') return;
    const tests = v.calls(cond, (c) => TRYLOCKS.has(c) || BREAKS.has(c)).length > 0;
    const prev = prevSibling(s);
    const assigned = prev
      ? v
          .calls(prev, (c) => BREAKS.has(c) || CHANGES.has(c))
          .map((c) => assignedVariable(v, c.node))
          .filter((x): x is string => !!x)
      : [];
    const testsResult = assigned.some((x) => v.mentions(cond, x));
    const guardsWait = v.calls(s, (c) => c === 'break_deleg_wait').length > 0;
    if (tests || testsResult || guardsWait) ifs.push(s);
  });
  for (const s of ifs.slice(0, 4)) {
    const cond = s.children[0];
    const inner = cond.children[0];
    if (!inner) continue;
    const name = id();
    add('eq-bool', (e) =>
      e.replace(
        s.start,
        s.end,
        `{\n\tbool ${name} = ${v.t(inner)};\n\tif (${name}) ${v.text.slice(s.children[1].start, s.end)}\n\t}`,
      ),
    );
  }

  // 6. `if (err) goto out;` ladders turned into early returns that run the same epilogue (calls, then a return).
  if (all.some((c) => LOCKS.has(c.callee) || UNLOCKS.has(c.callee))) {
    const labels = new Map<string, SNode>();
    for (const s of f.body.children)
      if (s.type === 'labeled_statement' && s.children[0]) labels.set(v.t(s.children[0]), s);
    const gotos: [SNode, string][] = [];
    walkType(f.body, 'goto_statement', (g) => {
      const target = g.children[0] ? labels.get(v.t(g.children[0])) : undefined;
      if (!target || target.start < g.end) return;
      const epilogue = epilogueOf(v, target);
      if (epilogue) gotos.push([g, epilogue]);
    });
    if (gotos.length)
      add('eq-early-return', (e) => {
        for (const [g, epi] of gotos) e.replace(g.start, g.end, `{ ${epi} }`);
      });
  }
  return out;
}

/** Identifiers declared in the body (the innermost declarator name of every declaration). */
function walkDecls(body: SNode, visit: (name: SNode) => void): void {
  walkType(body, 'declaration', (d) => {
    for (const c of d.children.slice(1)) {
      let n: SNode | undefined = c;
      while (n && n.type !== 'identifier') n = n.children[0];
      if (n) visit(n);
    }
  });
}

function walkType(root: SNode, type: string, visit: (n: SNode) => void): void {
  const stack = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === type) visit(n);
    for (const c of n.children) stack.push(c);
  }
}

function prevSibling(s: SNode): SNode | null {
  const p = s.parent;
  if (!p) return null;
  const i = p.children.indexOf(s);
  return i > 0 ? p.children[i - 1] : null;
}

function assignedVariable(v: FileView, call: SNode): string | null {
  const p = call.parent;
  if ((p?.type === 'assignment_expression' || p?.type === 'init_declarator') && p.children[0]?.type === 'identifier')
    return v.t(p.children[0]);
  return null;
}

/**
 * `struct inode *` names that never change in the function: parameters (alias inserted at the body's start) and
 * locals initialised at their declaration (alias inserted after it). Pairs of [name, insertion offset].
 */
function inodeNames(v: FileView, f: FnView, declarators: SNode[]): [string, number][] {
  const out: [string, number][] = [];
  const assigned = (name: string) => {
    let yes = false;
    walkType(f.body, 'assignment_expression', (a) => {
      if (a.children[0]?.type === 'identifier' && v.t(a.children[0]) === name) yes = true;
    });
    walkType(f.body, 'pointer_expression', (a) => {
      if (v.t(a).startsWith('&') && a.children[0]?.type === 'identifier' && v.t(a.children[0]) === name) yes = true;
    });
    walkType(f.body, 'update_expression', (a) => {
      if (v.mentions(a, name)) yes = true;
    });
    return yes;
  };
  for (const d of declarators) {
    const decl = v.statementOf(d);
    // `struct inode *name = init;`: one init_declarator whose declarator is a pointer to the name.
    if (decl.type !== 'declaration' || decl.parent !== f.body || decl.children.length !== 2) continue;
    const [type, init] = decl.children;
    if (
      type.type !== 'struct_specifier' ||
      v.t(type).replace(/\s+/g, ' ') !== 'struct inode' ||
      init.type !== 'init_declarator'
    )
      continue;
    const ptr = init.children[0];
    if (ptr?.type !== 'pointer_declarator' || ptr.children[0] !== d) continue;
    const name = v.t(d);
    if (!assigned(name)) out.push([name, decl.end]);
  }
  for (const p of f.params)
    if (p.type === 'struct inode *' && !assigned(p.name) && !out.some(([n]) => n === p.name))
      out.push([p.name, f.bodyStart + 1]);
  return out;
}

/** The statements from a label to the next return, if they are only calls (and nested labels): else null. */
function epilogueOf(v: FileView, label: SNode): string | null {
  const block = label.parent!;
  const parts: string[] = [];
  for (let i = block.children.indexOf(label); i < block.children.length; i++) {
    let s = block.children[i];
    while (s.type === 'labeled_statement') s = s.children[1];
    if (!s) return null;
    if (s.type === 'return_statement') {
      parts.push(v.t(s));
      return parts.join(' ');
    }
    if (s.type !== 'expression_statement' || s.children[0]?.type !== 'call_expression') return null;
    parts.push(v.t(s));
  }
  return null;
}

/** New error/warning findings of a mutant, as `rule function` keys (a multiset difference against the original). */
function newFindings(base: FileResult, mutant: FileResult): string[] {
  const key = (f: FileResult['findings'][number]) => `${f.ruleId} ${f.function ?? '?'}`;
  const counts = new Map<string, number>();
  for (const f of base.findings) if (f.severity !== 'info') counts.set(key(f), (counts.get(key(f)) ?? 0) + 1);
  const out: string[] = [];
  for (const f of mutant.findings) {
    if (f.severity === 'info') continue;
    const k = key(f);
    const n = counts.get(k) ?? 0;
    if (n > 0) counts.set(k, n - 1);
    else out.push(`${k} (line ${f.line})`);
  }
  return out;
}

async function main(): Promise<void> {
  const only = process.argv.slice(2).find((a) => !a.startsWith('--'));
  const kinds: Kind[] = process.argv.includes('--bugs')
    ? ['bug']
    : process.argv.includes('--refactors')
      ? ['refactor']
      : ['bug', 'refactor'];
  if (DUMP) mkdirSync(DUMP, { recursive: true });
  const analyzer = await Analyzer.create(nodeWasmSource());
  const t0 = performance.now();
  const survivors: string[] = [];
  const falseFindings: string[] = [];
  const byOperator = new Map<string, [number, number]>();
  const byArea = new Map<string, [number, number]>();
  const refactors = new Map<string, [number, number]>();
  let bugs = 0;
  let refactorCount = 0;
  const syntax = new Map<string, [number, number]>();
  const syntaxBroken: string[] = [];
  const bump = (m: Map<string, [number, number]>, k: string, hit: boolean) => {
    const r = m.get(k) ?? [0, 0];
    r[0]++;
    if (hit) r[1]++;
    m.set(k, r);
  };
  for (const file of collectFiles([CORPUS]).files.filter((f) => f.endsWith('.c'))) {
    if (only && !file.includes(only)) continue;
    const rel = relative(CORPUS, file);
    const text = readFileSync(file, 'utf8');
    // The snapshot answers for the file by its absolute path, the name the index knows it by.
    const index = HEADERS ? new IndexSnapshot(await fileIndex(file, {}, [])) : null;
    const check = (t: string) => (index ? analyzer.check(resolve(file), t, {}, index) : analyzer.check(rel, t));
    const original = check(text);
    const view = new FileView(analyzer, text);
    const grantOnly = GRANT_ONLY.test(rel);
    const era = release(rel);
    const deleg = text.includes('struct delegated_inode') ? 'struct delegated_inode *' : 'struct inode **';
    for (const f of view.fns) {
      const mutants = [
        ...(kinds.includes('bug') ? bugMutants(view, f, grantOnly, era) : []),
        ...(kinds.includes('bug') && !grantOnly ? crossFunctionMutants(view, f, deleg) : []),
        ...(kinds.includes('refactor') && !grantOnly ? refactorMutants(view, f, deleg) : []),
      ];
      for (const m of mutants) {
        let mutated: string;
        try {
          mutated = m.make();
        } catch {
          continue; // overlapping edits: the operator does not apply here
        }
        if (SYNTAX) {
          // Parse only: every function clean in the original (and every new helper) must still parse cleanly.
          const before = new Map(view.fns.map((g) => [g.name, g.clean]));
          const after = new FileView(analyzer, mutated).fns;
          const broken = [
            ...after.filter((g) => !g.clean && before.get(g.name) !== false).map((g) => g.name),
            ...view.fns.filter((g) => !after.some((h) => h.name === g.name)).map((g) => `${g.name} (gone)`),
          ];
          bump(syntax, m.op.replace(/ .*$/, ''), broken.length > 0);
          if (broken.length) syntaxBroken.push(`${rel} ${f.name}: ${m.op} -> ${broken.join(', ')}`);
          continue;
        }
        if (DUMP)
          writeFileSync(
            join(DUMP, `${rel.replace(/\//g, '_')}.${f.name}.${m.op.replace(/\W+/g, '_')}.${dumped++}.c`),
            mutated,
          );
        const added = newFindings(m.base ? check(m.base()) : original, check(mutated));
        if (m.kind === 'bug') {
          bugs++;
          const caught = added.length > 0;
          bump(byOperator, m.op.replace(/ .*$/, ''), caught);
          bump(byArea, area(rel, f.name), caught);
          if (!caught) survivors.push(`${rel} ${f.name}: ${m.op}`);
        } else {
          refactorCount++;
          bump(refactors, m.op, added.length > 0);
          for (const a of added) falseFindings.push(`${rel} ${f.name}: ${m.op} -> ${a}`);
        }
      }
    }
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(0);
  if (SYNTAX) {
    console.log(
      `syntax check of the mutants (parse only, no analysis), ${secs} s: operator, mutants with a newly unparsable function / all`,
    );
    for (const [kind, [n, bad]] of [...syntax].sort())
      console.log(`  ${kind.padEnd(18)} ${String(bad).padStart(4)} / ${n}`);
    for (const s of syntaxBroken) console.log(`  unparsable: ${s}`);
    return;
  }
  const caughtTotal = [...byOperator.values()].reduce((s, [, c]) => s + c, 0);
  const flagged = [...refactors.values()].reduce((s, [, c]) => s + c, 0);
  console.log(
    `bug mutants ${bugs}, caught ${caughtTotal}, survived ${bugs - caughtTotal}; refactors ${refactorCount}, with a false finding ${flagged} (${falseFindings.length} findings); ${secs} s`,
  );
  console.log('bug mutants by operator:');
  for (const [kind, [n, caught]] of [...byOperator].sort())
    console.log(`  ${kind.padEnd(18)} ${String(caught).padStart(4)} / ${n} caught`);
  console.log('bug mutants by area:');
  for (const [kind, [n, caught]] of [...byArea].sort())
    console.log(`  ${kind.padEnd(18)} ${String(caught).padStart(4)} / ${n} caught`);
  console.log('refactors by operator (flagged = at least one new error/warning):');
  for (const [kind, [n, bad]] of [...refactors].sort())
    console.log(`  ${kind.padEnd(18)} ${String(bad).padStart(4)} / ${n} flagged`);
  for (const s of survivors) console.log(`  survived: ${s}`);
  for (const s of falseFindings) console.log(`  false finding: ${s}`);
}

/**
 * Every mutant of the sweep for one corpus file (`rel` relative to the corpus, for its release and area), as the
 * mutated texts are made on demand: for other benchmarks and tests that need the same mutants (the pre-scan's
 * equivalence sweep, bench/prescan.ts).
 */
export function corpusMutants(
  analyzer: Analyzer,
  rel: string,
  text: string,
  kinds: Kind[] = ['bug', 'refactor'],
): { op: string; fn: string; make: () => string }[] {
  const view = new FileView(analyzer, text);
  const grantOnly = GRANT_ONLY.test(rel);
  const era = release(rel);
  const deleg = text.includes('struct delegated_inode') ? 'struct delegated_inode *' : 'struct inode **';
  return view.fns.flatMap((f) => [
    ...(kinds.includes('bug') ? bugMutants(view, f, grantOnly, era) : []),
    ...(kinds.includes('bug') && !grantOnly ? crossFunctionMutants(view, f, deleg) : []),
    ...(kinds.includes('refactor') && !grantOnly ? refactorMutants(view, f, deleg) : []),
  ]);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
