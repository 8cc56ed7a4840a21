/**
 * Quick-fix text for findings, written the way the file's kernel era writes it and with its own variable names.
 *
 * The analyzer decides what is wrong and hands over a structured hint (`FixHint`); this module only writes code.
 * It reads the function's statement structure from tree-sitter (where a statement starts, whether it is the
 * unbraced body of an `if`, which labels and locals exist) and, where a fix has several possible placements (the
 * wait-and-retry block goes after the locks are dropped), asks the analyzer through `verify` which placement leaves
 * the function clean. No `vscode` import: unit tests run it under Node in every era.
 */
import type { Era } from '../catalogue/catalogue';
import type { EventInfo, LocatedFinding } from '../engine';
import { LineIndex } from '../text/lines';

/** Translates a user-visible template with {0}-style placeholders (the editor installs vscode.l10n.t). */
export type Translator = (template: string, ...args: (string | number)[]) => string;

const format: Translator = (tpl, ...args) => tpl.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)] ?? ''));

/** The parts of web-tree-sitter's Node this module reads. */
export interface TsNode {
  type: string;
  startIndex: number;
  endIndex: number;
  parent: TsNode | null;
  namedChildren: (TsNode | null)[];
  children: (TsNode | null)[];
  childForFieldName(name: string): TsNode | null;
  descendantForIndex(start: number, end?: number): TsNode | null;
}

export interface TsTree {
  rootNode: TsNode;
  delete(): void;
}

export interface TextEditP {
  start: number;
  end: number;
  newText: string;
}

export interface FixContext {
  /** The whole file text the finding was computed on. */
  text: string;
  /** The function the finding is in (absolute offsets). */
  fn: { name: string; start: number; end: number };
  era: Era;
  /** Parses C text (the function alone is parsed). */
  parse(text: string): TsTree;
  /** Delegation-relevant events whose call contains the offset, with the locks held before each (Document.eventsAt). */
  eventsAt?(offset: number): EventInfo[];
  /**
   * The function's findings after applying the edits (the analyzer re-run on the edited text), or null if it
   * cannot tell. Used to choose among candidate placements and to mark a fix as verified.
   */
  verify?(edits: TextEditP[]): LocatedFinding[] | null;
  /** Translator for fix titles (default: English). */
  t?: Translator;
}

export interface Fix {
  title: string;
  edits: TextEditP[];
  /**
   * The analyzer re-checked the whole edited file: this finding is gone and no finding (any rule, any function, any
   * severity) was added. With a `verify` in the context, only verified fixes are offered.
   */
  verified: boolean;
}

type Stmt = TsNode;

const STATEMENTS = new Set([
  'expression_statement',
  'return_statement',
  'if_statement',
  'for_statement',
  'while_statement',
  'do_statement',
  'switch_statement',
  'goto_statement',
  'labeled_statement',
  'compound_statement',
  'declaration',
  'break_statement',
  'continue_statement',
  'case_statement',
  'attributed_statement',
]);
/** Statements that hold a list of statements. */
const LISTS = new Set(['compound_statement', 'case_statement', 'translation_unit']);
/** Statements whose body is a single statement (braces optional). */
const OWNERS = new Set(['if_statement', 'else_clause', 'for_statement', 'while_statement', 'do_statement']);
const JUMPS = new Set(['return_statement', 'goto_statement', 'break_statement', 'continue_statement']);
const ERROR_VARS = ['error', 'err', 'ret', 'retval', 'rc', 'res', 'status'];

/** The era's spelling of the delegated-inode protocol. */
export function eraSyntax(era: Era) {
  const v619 = era === '6.19';
  return {
    declare: (name: string) => (v619 ? `struct delegated_inode ${name} = { };` : `struct inode *${name} = NULL;`),
    pending: (name: string) => (v619 ? `is_delegated(&${name})` : name),
  };
}

/** The wait-and-retry block that follows the unlock (fs/namei.c style), as lines without the base indent. */
export function waitRetryLines(era: Era, di: string, err: string, label: string, unit = '\t'): string[] {
  return [
    `if (${eraSyntax(era).pending(di)}) {`,
    `${unit}${err} = break_deleg_wait(&${di});`,
    `${unit}if (!${err})`,
    `${unit}${unit}goto ${label};`,
    '}',
  ];
}

/** The fixes for one finding, best first (empty when there is none). */
export function fixesFor(f: LocatedFinding, ctx: FixContext): Fix[] {
  const w = FnWriter.open(ctx);
  if (!w) return [];
  try {
    return w.fixesFor(f);
  } finally {
    w.dispose();
  }
}

class FnWriter {
  private readonly lines: LineIndex;
  private readonly unit: string;
  private readonly src: string;
  private readonly tr: Translator;

  private constructor(
    private readonly ctx: FixContext,
    private readonly tree: TsTree,
    private readonly base: number,
  ) {
    this.lines = new LineIndex(ctx.text);
    this.src = ctx.text.slice(ctx.fn.start, ctx.fn.end);
    this.unit = indentUnit(this.src);
    this.tr = ctx.t ?? format;
  }

  static open(ctx: FixContext): FnWriter | null {
    if (ctx.fn.start < 0 || ctx.fn.end > ctx.text.length || ctx.fn.end <= ctx.fn.start) return null;
    const tree = ctx.parse(ctx.text.slice(ctx.fn.start, ctx.fn.end));
    return new FnWriter(ctx, tree, ctx.fn.start);
  }

  dispose(): void {
    this.tree.delete();
  }

  fixesFor(f: LocatedFinding): Fix[] {
    const hint = f.fix;
    const out: (Fix | null)[] = [];
    if (hint?.kind === 'insert-try-break') out.push(this.tryBreak(f, hint.inode, hint.before, hint.outParam));
    else if (hint?.kind === 'add-unlock') out.push(this.addUnlock(f, hint.before, hint.unlockCall));
    else if (hint?.kind === 'add-wait-retry') out.push(this.addWaitRetry(f, hint.after, hint.diVar, hint.label));
    else if (hint?.kind === 'make-nonblocking') out.push(this.makeNonblocking(f, hint.start, hint.end, hint.inode));
    else if (f.ruleId === 'deleg/blocking-break-locked') out.push(this.blockingUnderLock(f));
    else if (f.ruleId === 'deleg/break-unlocked') out.push(this.breakAgain(f));
    return out.filter((x): x is Fix => !!x && x.edits.length > 0);
  }

  // ------------------------------------------------------------------ the fixes

  /** try_break_deleg() before the change (and, with no out-parameter to hand the inode to, wait and retry here). */
  private tryBreak(f: LocatedFinding, inode: string, before: number, outParam: string | null): Fix | null {
    const stmt = this.statementAt(before);
    if (!stmt) return null;
    inode = this.localNamed(inode);
    const param = outParam ?? this.delegatedParam();
    const localOnly = !param;
    const di = param ?? this.freshName(['delegated_inode', 'di', 'deleg_inode']);
    const diArg = localOnly ? `&${di}` : param;
    const errInfo = this.errorVar(stmt);
    const held = this.localLocksHeld(before);
    const call = `try_break_deleg(${inode}, ${diArg})`;
    const edits: TextEditP[] = [];
    const decls: string[] = [];
    if (localOnly) decls.push(eraSyntax(this.ctx.era).declare(di));
    // Under a lock taken here, returning early would leak it: guard the change instead.
    const guard = stmt.type !== 'return_statement' && (held.length > 0 || errInfo.assigned);
    const rhs = guard && !errInfo.assigned ? this.assignedValue(stmt) : null;
    if (rhs) {
      // `x->err = change(...)`: the break's error takes the change's place (GNU `?:`, kernel style), so it is not lost.
      edits.push({
        start: this.abs(rhs.startIndex),
        end: this.abs(rhs.endIndex),
        newText: `${call} ?: ${this.nodeText(rhs)}`,
      });
    } else {
      // A guard whose error lands in a fresh variable nobody reads would make the change fail silently: no fix.
      if (guard && errInfo.declare) return null;
      if (errInfo.declare) decls.push(`int ${errInfo.name};`);
      const lines = guard
        ? [`${errInfo.name} = ${call};`, `if (!${errInfo.name})`]
        : [`${errInfo.name} = ${call};`, `if (${errInfo.name})`, `${this.unit}return ${errInfo.name};`];
      edits.push(...this.insertBefore(stmt, lines, guard));
    }
    if (decls.length) edits.push(this.declare(decls));
    const title = localOnly
      ? this.tr('Break the delegation of {0} first, then wait and retry after unlocking', inode)
      : this.tr('Break the delegation of {0} first: {1}', inode, `${call}`);
    if (!localOnly) return this.verified(f, title, [edits]);
    // The inode is recorded in a local: this function must drop its locks, wait and retry.
    const label = this.retryLabel(before);
    const err = errInfo.name;
    const candidates = this.waitPlacements(stmt, di, err, label.name).map((wait) => [...edits, ...label.edits, wait]);
    return this.verified(f, title, candidates);
  }

  /** The missing unlock before a return (braces added when the return is an unbraced if-body). */
  private addUnlock(f: LocatedFinding, before: number, unlockCall: string): Fix | null {
    const stmt = this.statementAt(before);
    if (!stmt) return null;
    const call = unlockCall.trim().endsWith(';') ? unlockCall.trim() : `${unlockCall.trim()};`;
    return this.verified(f, this.tr('Release the lock before returning: {0}', call), [
      this.insertBefore(stmt, [call], false),
    ]);
  }

  /** After the call that may record a delegated inode: drop the locks, wait, retry. */
  private addWaitRetry(f: LocatedFinding, after: number, di: string, label: string | null): Fix | null {
    const stmt = this.statementAt(Math.max(f.start, after - 1));
    if (!stmt) return null;
    const errInfo = this.errorVar(stmt);
    const err = errInfo.name;
    const l = label ? { name: label, edits: [] } : this.retryLabel(f.start);
    const candidates = this.waitPlacements(stmt, di, err, l.name).map((wait) => [...l.edits, wait]);
    const decl = errInfo.declare ? [this.declare([`int ${err};`])] : [];
    return this.verified(
      f,
      this.tr('Wait for the delegation of {0} after unlocking, then retry', di),
      candidates.map((c) => [...c, ...decl]),
    );
  }

  /** A blocking break under a lock: a non-blocking try_break_deleg() here, the wait after the unlock. */
  private makeNonblocking(f: LocatedFinding, start: number, end: number, inode: string): Fix | null {
    const stmt = this.statementAt(start);
    if (!stmt) return null;
    const param = this.delegatedParam();
    const di = param ?? this.freshName(['delegated_inode', 'di', 'deleg_inode']);
    const replace: TextEditP = { start, end, newText: `try_break_deleg(${inode}, ${param ?? '&' + di})` };
    if (param)
      return this.verified(f, this.tr('Use {0} under the lock (the caller waits and retries)', replace.newText), [
        [replace],
      ]);
    const title = this.tr('Use try_break_deleg() under the lock and wait for {0} after unlocking', inode);
    const errInfo = this.errorVar(stmt);
    const decls = [eraSyntax(this.ctx.era).declare(di), ...(errInfo.declare ? [`int ${errInfo.name};`] : [])];
    const label = this.retryLabel(start);
    const candidates = this.waitPlacements(stmt, di, errInfo.name, label.name).map((w) => [
      replace,
      this.declare(decls),
      ...label.edits,
      w,
    ]);
    return this.verified(f, title, candidates);
  }

  private blockingUnderLock(f: LocatedFinding): Fix | null {
    const ev = this.ctx.eventsAt?.(f.start).find((e) => e.start === f.start) ?? this.ctx.eventsAt?.(f.start)[0];
    if (!ev) return null;
    if (ev.kind === 'wait') return this.moveWait(f, ev);
    if (ev.kind === 'break' && /deleg/.test(ev.api) && ev.api !== 'try_break_deleg')
      return this.makeNonblocking(f, ev.start, ev.end, f.inode || ev.target || 'inode');
    return null;
  }

  /** break_deleg_wait() under a lock: take the whole `if (delegated_inode) {…}` out and wait after the unlock. */
  private moveWait(f: LocatedFinding, ev: EventInfo): Fix | null {
    const waitStmt = this.statementAt(ev.start);
    if (!waitStmt) return null;
    const di = ev.target ?? f.inode;
    let block: Stmt = waitStmt;
    for (let n: TsNode | null = waitStmt; n && n.type !== 'function_definition'; n = n.parent) {
      if (n.type === 'if_statement' && this.mentions(n.childForFieldName('condition'), di)) {
        block = n;
        break;
      }
    }
    // An if/else whose else-branch is the block: keep it simple and take the whole statement.
    const gotoLabel = this.firstGotoIn(block);
    const err = this.errorVar(waitStmt).name;
    const label = gotoLabel ? { name: gotoLabel, edits: [] as TextEditP[] } : this.retryLabel(f.start);
    const remove = this.removeStatement(block);
    const candidates = this.waitPlacements(block, di, err, label.name)
      .filter((w) => w.start >= this.abs(block.endIndex) || w.end <= this.abs(block.startIndex))
      .map((w) => [remove, ...label.edits, w]);
    return this.verified(f, this.tr('Move break_deleg_wait() after the unlock and retry'), candidates);
  }

  /** The lock was dropped after the break: break again after relocking, right before the change. */
  private breakAgain(f: LocatedFinding): Fix | null {
    const ev = this.ctx
      .eventsAt?.(f.start)
      .find((e) => e.kind === 'mutate' || e.kind === 'delegOp' || e.kind === 'summaryMutate');
    if (!ev || !f.inode) return null;
    const param = this.delegatedParam();
    if (!param) return null;
    return this.tryBreak(f, f.inode, ev.start, param);
  }

  // ------------------------------------------------------------------ choosing and verifying

  /**
   * The first candidate the analyzer accepts: re-analysed on the whole file, this finding is gone and no finding was
   * added (any rule, any function, any severity: a fix must never make things worse). Without a `verify` the first
   * candidate, unverified; with one and no accepted candidate, nothing.
   */
  private verified(f: LocatedFinding, title: string, candidates: TextEditP[][]): Fix | null {
    if (this.fieldStyle()) {
      title = dInodeAsField(title);
      candidates = candidates.map((c) => c.map((e) => ({ ...e, newText: dInodeAsField(e.newText) })));
    }
    const usable = candidates.map(dedupe).filter((c) => c.length && !overlapping(c));
    if (!usable.length) return null;
    const verify = this.ctx.verify;
    if (!verify) return { title, edits: usable[0], verified: false };
    const baseline = verify([]);
    if (!baseline) return null;
    const before = countFindings(baseline);
    const own = findingKey(f);
    for (const c of usable.slice(0, 12)) {
      const after = verify(c);
      if (after && acceptable(before, countFindings(after), own)) return { title, edits: c, verified: true };
    }
    return null;
  }

  // ------------------------------------------------------------------ structure

  private fieldStyleMemo: boolean | null = null;

  /**
   * Whether inserted code reads a dentry's inode as the field (`dentry->d_inode`) rather than with `d_inode()`,
   * which only exists since Linux 4.0: as the function itself does, else the field, which compiles in every release,
   * unless the file is of the 6.19 era.
   */
  private fieldStyle(): boolean {
    if (this.fieldStyleMemo !== null) return this.fieldStyleMemo;
    let calls = false;
    let fields = false;
    const stack: TsNode[] = [this.tree.rootNode];
    while (stack.length && !calls) {
      const n = stack.pop()!;
      if (n.type === 'call_expression') {
        const fn = n.childForFieldName('function');
        if (fn?.type === 'identifier' && this.nodeText(fn) === 'd_inode') calls = true;
      } else if (n.type === 'field_expression') {
        const field = n.childForFieldName('field');
        if (field && this.nodeText(field) === 'd_inode') fields = true;
      }
      for (const c of n.namedChildren) if (c) stack.push(c);
    }
    return (this.fieldStyleMemo = calls ? false : fields || this.ctx.era !== '6.19');
  }

  private abs(rel: number): number {
    return rel + this.base;
  }

  private rel(abs: number): number {
    return abs - this.base;
  }

  private nodeText(n: TsNode): string {
    return this.src.slice(n.startIndex, n.endIndex);
  }

  /** The innermost statement containing an absolute offset. */
  private statementAt(offset: number): Stmt | null {
    const o = this.rel(offset);
    let n = this.tree.rootNode.descendantForIndex(o, o);
    while (n && !(STATEMENTS.has(n.type) && n.type !== 'compound_statement')) n = n.parent;
    return n;
  }

  /** The function body (outermost block of the parsed function). */
  private body(): TsNode | null {
    const root = this.tree.rootNode;
    const def = root.namedChildren.find((c) => c?.type === 'function_definition');
    const b = def?.childForFieldName('body');
    if (b) return b;
    // SYSCALL_DEFINEn(...) { ... }: a call followed by a detached block.
    return root.namedChildren.find((c) => c?.type === 'compound_statement') ?? null;
  }

  private params(): { type: string; name: string }[] {
    const def = this.tree.rootNode.namedChildren.find((c) => c?.type === 'function_definition');
    let decl = def?.childForFieldName('declarator') ?? null;
    while (decl && decl.type !== 'function_declarator') decl = decl.childForFieldName('declarator');
    const list = decl?.childForFieldName('parameters');
    if (!list) return [];
    return list.namedChildren
      .filter((p): p is TsNode => p?.type === 'parameter_declaration')
      .map((p) => {
        const text = this.nodeText(p);
        const m = /([A-Za-z_]\w*)\s*(\[[^\]]*\])?\s*$/.exec(text);
        return { type: text, name: m ? m[1] : '' };
      });
  }

  /** The function's delegated-inode out-parameter, if it has one (`struct inode **` or `struct delegated_inode *`). */
  private delegatedParam(): string | null {
    for (const p of this.params()) {
      if (
        /struct\s+delegated_inode\s*\*/.test(p.type) ||
        (/struct\s+inode\s*\*\s*\*/.test(p.type) && /deleg|di\b/.test(p.name))
      )
        return p.name;
    }
    return null;
  }

  private identifiers(): Set<string> {
    const out = new Set<string>();
    const re = /[A-Za-z_]\w*/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(this.src))) out.add(m[0]);
    return out;
  }

  private freshName(prefs: string[]): string {
    const ids = this.identifiers();
    for (const p of prefs) if (!ids.has(p)) return p;
    for (let i = 2; ; i++) if (!ids.has(`${prefs[0]}${i}`)) return `${prefs[0]}${i}`;
  }

  /** The error variable to use at a statement: the one it assigns, else a declared local, else a new `error`. */
  private errorVar(stmt: Stmt): { name: string; declare: boolean; assigned: boolean } {
    if (stmt.type === 'expression_statement') {
      const e = stmt.namedChildren[0];
      if (e?.type === 'assignment_expression') {
        const left = e.childForFieldName('left');
        const right = e.childForFieldName('right');
        const op = left && right ? this.src.slice(left.endIndex, right.startIndex).trim() : '';
        if (left?.type === 'identifier' && op === '=')
          return { name: this.nodeText(left), declare: false, assigned: true };
      }
    }
    const locals = this.localDeclarations();
    for (const v of ERROR_VARS)
      if (locals.get(v) && /\b(int|long)\b/.test(locals.get(v)!)) return { name: v, declare: false, assigned: false };
    const name = this.identifiers().has('error') ? this.freshName(['error', 'err']) : 'error';
    return { name, declare: true, assigned: false };
  }

  /** The right-hand side of `lhs = value;` when the statement is exactly that assignment. */
  private assignedValue(stmt: Stmt): TsNode | null {
    if (stmt.type !== 'expression_statement') return null;
    const e = stmt.namedChildren[0];
    if (e?.type !== 'assignment_expression') return null;
    const left = e.childForFieldName('left');
    const right = e.childForFieldName('right');
    if (!left || !right || this.src.slice(left.endIndex, right.startIndex).trim() !== '=') return null;
    return right;
  }

  /** A local initialised to exactly this expression (`struct inode *inode = d_inode(dentry);`), else the expression. */
  private localNamed(expr: string): string {
    const squash = (x: string) => x.replace(/\s+/g, '');
    const body = this.body();
    for (const d of body?.namedChildren ?? []) {
      if (d?.type !== 'declaration') continue;
      for (const c of d.namedChildren) {
        if (c?.type !== 'init_declarator') continue;
        const value = c.childForFieldName('value');
        let n = c.childForFieldName('declarator');
        while (n && n.type === 'pointer_declarator') n = n.childForFieldName('declarator');
        if (value && n?.type === 'identifier' && squash(this.nodeText(value)) === squash(expr)) return this.nodeText(n);
      }
    }
    return expr;
  }

  /** Names declared at the top of the body → their declaration text. */
  private localDeclarations(): Map<string, string> {
    const out = new Map<string, string>();
    const body = this.body();
    if (!body) return out;
    for (const d of body.namedChildren) {
      if (d?.type !== 'declaration') continue;
      const text = this.nodeText(d);
      for (const c of d.namedChildren) {
        let n: TsNode | null = c;
        while (n && (n.type === 'init_declarator' || n.type === 'pointer_declarator' || n.type === 'array_declarator'))
          n = n.childForFieldName('declarator');
        if (n?.type === 'identifier') out.set(this.nodeText(n), text);
      }
    }
    return out;
  }

  /** Locks this function took that are held before the event at `offset`, earliest first. */
  private localLocksHeld(offset: number): { line: number; column: number }[] {
    const ev = this.ctx.eventsAt?.(offset)[0];
    if (!ev) return [];
    return [...ev.always, ...ev.sometimes]
      .filter((l) => l.origin === 'local')
      .sort((a, b) => a.line - b.line || a.column - b.column);
  }

  /** Where the retry label goes (before the statement taking the first local lock held at `offset`) and its name. */
  private retryLabel(offset: number): { name: string; edits: TextEditP[] } {
    const existing = this.labels().find((l) => /^retry/.test(l.name) && this.abs(l.node.startIndex) < offset);
    if (existing) return { name: existing.name, edits: [] };
    const name = this.freshName(['retry_deleg', 'retry']);
    const lock = this.localLocksHeld(offset)[0];
    let target = lock
      ? this.statementAt(this.lines.offsetAt({ line: lock.line - 1, character: lock.column - 1 }))
      : this.statementAt(offset);
    const site = this.statementAt(offset);
    // Climb until the label's statement is in a block that also contains the site.
    while (target && site && target.parent && !(LISTS.has(target.parent.type) && contains(target.parent, site)))
      target = this.owningStatement(target);
    if (!target) return { name, edits: [] };
    const at = this.startsLine(target) ? this.lineStart(target) : this.abs(target.startIndex);
    return { name, edits: [{ start: at, end: at, newText: `${name}:\n` }] };
  }

  private labels(): { name: string; node: TsNode }[] {
    const out: { name: string; node: TsNode }[] = [];
    const walk = (n: TsNode | null) => {
      if (!n) return;
      if (n.type === 'labeled_statement') {
        const l = n.childForFieldName('label');
        if (l) out.push({ name: this.nodeText(l), node: n });
      }
      for (const c of n.namedChildren) walk(c);
    };
    walk(this.tree.rootNode);
    return out;
  }

  private firstGotoIn(n: TsNode): string | null {
    if (n.type === 'goto_statement') {
      const l = n.childForFieldName('label');
      return l ? this.nodeText(l) : null;
    }
    for (const c of n.namedChildren) {
      const g = c ? this.firstGotoIn(c) : null;
      if (g) return g;
    }
    return null;
  }

  private mentions(n: TsNode | null, name: string): boolean {
    if (!n) return false;
    if (n.type === 'identifier' && this.nodeText(n) === name) return true;
    return n.namedChildren.some((c) => this.mentions(c, name));
  }

  /** The statement that owns `n` (its enclosing if/for/while/…, or the block's owner), or null at the body. */
  private owningStatement(n: TsNode): Stmt | null {
    let p = n.parent;
    while (
      p &&
      !(STATEMENTS.has(p.type) && p.type !== 'compound_statement') &&
      p.type !== 'function_definition' &&
      p.type !== 'translation_unit'
    )
      p = p.parent;
    if (!p || p.type === 'function_definition' || p.type === 'translation_unit') return null;
    return p;
  }

  /**
   * Where a wait-and-retry block can go after `stmt`: after it and after each following statement of its block,
   * then of each enclosing block, up to the function's end (never after a return or goto).
   */
  private waitPlacements(stmt: Stmt, di: string, err: string, label: string): TextEditP[] {
    const out: TextEditP[] = [];
    let cur: Stmt | null = stmt;
    while (cur) {
      const container: TsNode | null = cur.parent;
      if (!container) break;
      if (container.type === 'labeled_statement') {
        cur = container;
        continue;
      }
      if (LISTS.has(container.type)) {
        const sibs = container.namedChildren.filter((c): c is TsNode => !!c && STATEMENTS.has(c.type));
        const idx = sibs.findIndex((s) => s.startIndex === cur!.startIndex && s.endIndex === cur!.endIndex);
        for (let i = Math.max(0, idx); i < sibs.length; i++) {
          if (terminates(sibs[i])) break;
          out.push(this.insertAfter(sibs[i], waitRetryLines(this.ctx.era, di, err, label, this.unit)));
        }
        if (
          container.type === 'compound_statement' &&
          (container.parent?.type === 'function_definition' || container.parent?.type === 'translation_unit')
        )
          break;
      }
      cur = this.owningStatement(
        container.type === 'compound_statement' || container.type === 'case_statement' ? container : cur,
      );
      if (cur?.type === 'else_clause') cur = this.owningStatement(cur);
    }
    return out;
  }

  // ------------------------------------------------------------------ writing

  private lineStart(n: TsNode): number {
    const p = this.lines.positionAt(this.abs(n.startIndex));
    return this.lines.offsetAt({ line: p.line, character: 0 });
  }

  private startsLine(n: TsNode): boolean {
    const s = this.abs(n.startIndex);
    return /^[ \t]*$/.test(this.ctx.text.slice(this.lineStart(n), s));
  }

  /** The indentation of the line a statement starts on (the statement's own for a labelled one). */
  private indentOf(n: TsNode): string {
    if (n.type === 'labeled_statement') {
      const inner = n.namedChildren.find((c) => c && STATEMENTS.has(c.type));
      if (inner) return this.indentOf(inner);
    }
    const ls = this.lineStart(n);
    return /^[ \t]*/.exec(this.ctx.text.slice(ls, this.abs(n.startIndex) + 1))![0];
  }

  /** End of the line a node ends on, when only blanks or a comment follow it; else the node's end. */
  private endOfLine(n: TsNode): number {
    const e = this.abs(n.endIndex);
    const nl = this.ctx.text.indexOf('\n', e);
    const lineEnd = nl < 0 ? this.ctx.text.length : nl;
    const rest = this.ctx.text.slice(e, lineEnd).replace(/\r$/, '');
    return /^\s*(\/\*.*\*\/\s*|\/\/.*)?$/.test(rest) ? e + rest.length : e;
  }

  private insertAfter(n: TsNode, lines: string[]): TextEditP {
    const at = this.endOfLine(n);
    const ind = this.indentOf(n);
    return { start: at, end: at, newText: lines.map((l) => `\n${ind}${l}`).join('') };
  }

  /**
   * Inserts lines before a statement. `nest`: the statement becomes the body of the last inserted line (an `if`),
   * so it is indented one level more. An unbraced if/else/loop body gets braces.
   */
  private insertBefore(stmt: Stmt, lines: string[], nest: boolean): TextEditP[] {
    const owner = stmt.parent;
    const stmtText = this.nodeText(stmt);
    if (owner && OWNERS.has(owner.type)) {
      // `if (c)\n\t\treturn x;` → `if (c) {\n\t\t<lines>\n\t\treturn x;\n\t}`
      const prev = this.previousChild(owner, stmt);
      if (!prev) return [];
      const ownerIndent = this.indentOfLineAt(this.abs(owner.startIndex));
      const ind1 = ownerIndent + this.unit;
      const body = reindent(stmtText, this.indentOf(stmt), nest ? ind1 + this.unit : ind1);
      const newText = ` {\n${lines.map((l) => ind1 + l + '\n').join('')}${body}\n${ownerIndent}}`;
      // Kernel style `} else`: take the line break before an else that follows the new block.
      const alt = owner.type === 'if_statement' ? owner.childForFieldName('alternative') : null;
      if (alt && alt.startIndex >= stmt.endIndex && /^\s*$/.test(this.src.slice(stmt.endIndex, alt.startIndex))) {
        return [{ start: this.abs(prev.endIndex), end: this.abs(alt.startIndex), newText: newText + ' ' }];
      }
      return [{ start: this.abs(prev.endIndex), end: this.abs(stmt.endIndex), newText }];
    }
    const ind = this.indentOf(stmt);
    if (!this.startsLine(stmt)) {
      const at = this.abs(stmt.startIndex);
      return [{ start: at, end: at, newText: lines.join(' ') + ' ' }];
    }
    const at = this.lineStart(stmt);
    const head = lines.map((l) => ind + l + '\n').join('');
    if (!nest) return [{ start: at, end: at, newText: head }];
    const body = reindent(stmtText, ind, ind + this.unit);
    return [{ start: at, end: this.abs(stmt.endIndex), newText: head + body }];
  }

  private previousChild(owner: TsNode, child: TsNode): TsNode | null {
    let prev: TsNode | null = null;
    for (const c of owner.children) {
      if (!c) continue;
      if (c.startIndex === child.startIndex && c.endIndex === child.endIndex && c.type === child.type) return prev;
      if (c.type !== 'comment') prev = c;
    }
    return null;
  }

  private indentOfLineAt(offset: number): string {
    const p = this.lines.positionAt(offset);
    const ls = this.lines.offsetAt({ line: p.line, character: 0 });
    return /^[ \t]*/.exec(this.ctx.text.slice(ls, offset + 1))![0];
  }

  /** Removes a statement with its whole line(s) when it stands alone on them. */
  private removeStatement(n: TsNode): TextEditP {
    if (!this.startsLine(n)) return { start: this.abs(n.startIndex), end: this.abs(n.endIndex), newText: '' };
    const end = this.endOfLine(n);
    const next = this.ctx.text[end] === '\n' ? end + 1 : this.ctx.text.startsWith('\r\n', end) ? end + 2 : end;
    return { start: this.lineStart(n), end: next, newText: '' };
  }

  /** Adds declarations after the body's leading declarations (kernel style: declarations first). */
  private declare(decls: string[]): TextEditP {
    const body = this.body();
    if (!body) return { start: this.ctx.fn.start, end: this.ctx.fn.start, newText: '' };
    const items = body.namedChildren.filter((c): c is TsNode => !!c && c.type !== 'comment');
    let last: TsNode | null = null;
    for (const c of items) {
      if (c.type !== 'declaration') break;
      last = c;
    }
    if (last) return this.insertAfter(last, decls);
    const first = items[0];
    const ind = first ? this.indentOf(first) : this.unit;
    const open = this.abs(body.startIndex) + 1;
    return { start: open, end: open, newText: decls.map((d) => `\n${ind}${d}`).join('') };
  }
}

function terminates(n: TsNode): boolean {
  if (JUMPS.has(n.type)) return true;
  if (n.type === 'labeled_statement') {
    const inner = n.namedChildren.find((c) => c && STATEMENTS.has(c.type));
    return !!inner && JUMPS.has(inner.type);
  }
  return false;
}

function contains(outer: TsNode, inner: TsNode): boolean {
  return outer.startIndex <= inner.startIndex && inner.endIndex <= outer.endIndex;
}

/** Re-indents a statement's text from one base indentation to another (its first line carries no indentation). */
function reindent(text: string, from: string, to: string): string {
  const lines = text.split('\n');
  return lines.map((l, i) => (i === 0 ? to + l : l.startsWith(from) ? to + l.slice(from.length) : l)).join('\n');
}

/** Tabs, as in the kernel, unless the function is indented with spaces. */
export function indentUnit(src: string): string {
  const tabs = (src.match(/\n\t/g) ?? []).length;
  const spaces = [...src.matchAll(/\n( +)\S/g)].map((m) => m[1].length);
  if (tabs >= spaces.length || !spaces.length) return '\t';
  return ' '.repeat(Math.max(2, Math.min(8, Math.min(...spaces))));
}

function dedupe(edits: TextEditP[]): TextEditP[] {
  const seen = new Set<string>();
  return edits.filter((e) => {
    const k = `${e.start}:${e.end}:${e.newText}`;
    if (seen.has(k) || (e.start === e.end && !e.newText)) return false;
    seen.add(k);
    return true;
  });
}

function overlapping(edits: TextEditP[]): boolean {
  const s = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < s.length; i++) if (s[i].start < s[i - 1].end) return true;
  return false;
}

/** What identifies a finding across an edit (offsets move; rule, function, inode, severity and wording do not). */
export function findingKey(x: Pick<LocatedFinding, 'ruleId' | 'function' | 'inode' | 'severity' | 'message'>): string {
  return `${x.ruleId}\u0000${x.function}\u0000${x.inode}\u0000${x.severity}\u0000${x.message}`;
}

export function countFindings(xs: readonly LocatedFinding[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(findingKey(x), (m.get(findingKey(x)) ?? 0) + 1);
  return m;
}

/** The edit removed `own` (when given) and added no finding of any kind. */
export function acceptable(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
  own: string | null,
): boolean {
  if (own !== null && (after.get(own) ?? 0) >= (before.get(own) ?? 0)) return false;
  for (const [k, n] of after) if (n > (before.get(k) ?? 0)) return false;
  return true;
}

/**
 * `d_inode(x)` → `x->d_inode` in text this module wrote (display names of inodes): the accessor is missing before
 * Linux 4.0, the field is not.
 */
export function dInodeAsField(text: string): string {
  const name = 'd_inode(';
  let i = text.lastIndexOf(name);
  while (i >= 0) {
    const before = i > 0 ? text[i - 1] : '';
    if (!/[A-Za-z0-9_]/.test(before)) {
      let depth = 1;
      let j = i + name.length;
      for (; j < text.length && depth; j++) depth += text[j] === '(' ? 1 : text[j] === ')' ? -1 : 0;
      if (depth === 0) {
        const inner = text.slice(i + name.length, j - 1).trim();
        const simple = /^[A-Za-z_][\w]*(?:(?:->|\.)[A-Za-z_][\w]*)*$/.test(inner);
        text = text.slice(0, i) + (simple ? inner : `(${inner})`) + '->d_inode' + text.slice(j);
      }
    }
    i = i > 0 ? text.lastIndexOf(name, i - 1) : -1;
  }
  return text;
}
