/**
 * Compiles a `.vfsrace` syntax tree into a Program. Kernel APIs that are more than one atomic step in the kernel
 * expand here: `grant` is generic_add_lease() (inode_trylock on 3.13+, the conflict check under flc_lock, the
 * insertion and, on 4.0+, the re-check); `open` is get_write_access + break_lease + the open itself.
 */
import { DEFAULT_TIMING, kernelFeatures } from '../../model/kernel';
import { EAGAIN } from '../../model/leases';
import type { InodeDecl, LeaseKind, LockDecl, LockKind } from '../../model/state';
import {
  ALL_INVARIANTS,
  NO_SLOT,
  type Cond,
  type InstrBody,
  type Instr,
  type InvariantId,
  type Program,
  type SimOptions,
  type ThreadProgram,
  type VarKind,
} from '../program';
import {
  parseScenario,
  type Diagnostic,
  type Pos,
  type ScenarioAst,
  type Stmt,
  type ThreadDecl,
  type Token,
} from './parse';

export interface CompileOverrides {
  kernel?: string;
  /** `name=value` settings applied after the scenario's own. */
  set?: Record<string, string>;
}

export interface CompileResult {
  program: Program | null;
  diagnostics: Diagnostic[];
}

export function compileScenario(text: string, source: string, overrides: CompileOverrides = {}): CompileResult {
  const { ast, diagnostics } = parseScenario(text);
  const c = new Compiler(ast, source, diagnostics, overrides);
  const program = c.compile();
  return { program: diagnostics.some((d) => d.severity === 'error') ? null : program, diagnostics };
}

const LOCK_KINDS: readonly LockKind[] = ['rwsem', 'mutex', 'spin'];

class Compiler {
  readonly inodes: InodeDecl[] = [];
  readonly locks: LockDecl[] = [];
  readonly options: SimOptions;
  private title = '';
  private description = '';
  private invariants: InvariantId[] = [...ALL_INVARIANTS];
  threadIndex = new Map<string, number>();

  constructor(
    private readonly ast: ScenarioAst,
    readonly source: string,
    private readonly diags: Diagnostic[],
    private readonly overrides: CompileOverrides,
  ) {
    this.options = defaultOptions('6.12');
  }

  error(pos: Pos, message: string): void {
    this.diags.push({
      line: pos.line,
      column: pos.column,
      length: Math.max(1, pos.length),
      message,
      severity: 'error',
    });
  }

  compile(): Program {
    const kernelDirective = this.ast.directives.find((d) => d.kw === 'kernel');
    this.setKernel(
      this.overrides.kernel ?? kernelDirective?.args[0]?.text ?? '6.12',
      kernelDirective ?? { line: 1, column: 1, length: 1 },
    );
    for (const d of this.ast.directives) this.directive(d);
    for (const [name, value] of Object.entries(this.overrides.set ?? {}))
      this.setOption(name, value, { line: 1, column: 1, length: 1 });
    this.ast.threads.forEach((t, i) => {
      if (this.threadIndex.has(t.name)) this.error(t, `a thread named '${t.name}' is already declared`);
      this.threadIndex.set(t.name, i);
    });
    const threads = this.ast.threads.map((t, i) => new ThreadCompiler(this, t, i).compile());
    if (!threads.length) this.error({ line: 1, column: 1, length: 1 }, 'a scenario needs at least one thread');
    return {
      title: this.title || this.source,
      source: this.source,
      description: this.description,
      options: this.options,
      inodes: this.inodes,
      locks: this.locks,
      threads,
      invariants: this.invariants,
    };
  }

  private setKernel(version: string, pos: Pos): void {
    try {
      const f = kernelFeatures(version);
      Object.assign(this.options, {
        kernel: version,
        grantTrylock: f.grantTrylock,
        grantRecheck: f.grantRecheck,
        dirDelegations: f.dirDelegations,
      });
    } catch (e) {
      this.error(pos, (e as Error).message);
    }
  }

  private directive(d: { kw: string; args: Token[] } & Pos): void {
    const words = d.args.map((a) => a.text);
    switch (d.kw) {
      case 'scenario':
        this.title = words.join(' ');
        return;
      case 'description':
        this.description = words.join(' ');
        return;
      case 'kernel':
        if (words.length !== 1) this.error(d, "'kernel' takes one version, e.g. kernel 3.13");
        return;
      case 'set':
        if (words.length !== 2) return this.error(d, "'set' takes a name and a value, e.g. set lease_break_time 45");
        return this.setOption(words[0], words[1], d.args[1]);
      case 'inode':
        return this.inodeDecl(d);
      case 'lock':
        return this.lockDecl(d);
      case 'check':
        return this.check(d);
      default:
        this.error(
          d,
          `unknown declaration '${d.kw}' (expected scenario, description, kernel, set, inode, lock, check, thread, client)`,
        );
    }
  }

  private setOption(name: string, value: string, pos: Pos): void {
    const o = this.options;
    const flag = (): boolean | null =>
      value === 'on' || value === 'true' ? true : value === 'off' || value === 'false' ? false : null;
    const num = parseAmount(value, name === 'sleep_bound' ? 'ms' : 's');
    const need = (ok: boolean, what: string) =>
      ok || (this.error(pos, `${name} needs ${what} (got '${value}')`), false);
    switch (name) {
      case 'lease_break_time':
        if (need(num !== null, 'a time in seconds')) o.leaseBreakTimeS = num!;
        return;
      case 'nfsd_revoke':
        if (need(num !== null, 'a time in seconds')) o.nfsdRevokeS = num!;
        return;
      case 'sleep_bound':
        if (need(num !== null, 'a time (ms by default)')) o.sleepBoundMs = num!;
        return;
      case 'cache_capacity':
        if (need(num !== null && Number.isInteger(num) && num >= 0, 'a whole number of inodes')) o.cacheCapacity = num!;
        return;
      case 'recall_block':
      case 'grant_trylock':
      case 'grant_recheck':
      case 'dir_delegations': {
        const f = flag();
        if (!need(f !== null, 'on or off')) return;
        const key = (
          {
            recall_block: 'recallBlock',
            grant_trylock: 'grantTrylock',
            grant_recheck: 'grantRecheck',
            dir_delegations: 'dirDelegations',
          } as const
        )[name];
        o[key] = f!;
        return;
      }
      default:
        this.error(
          pos,
          `unknown setting '${name}' (lease_break_time, nfsd_revoke, sleep_bound, recall_block, grant_trylock, grant_recheck, dir_delegations, cache_capacity)`,
        );
    }
  }

  /** `inode NAME : file|dir [at PATH, PATH...] [ref N]` */
  private inodeDecl(d: { args: Token[] } & Pos): void {
    const [name, colon, kind, ...rest] = d.args;
    if (!name || name.kind !== 'word' || colon?.text !== ':' || (kind?.text !== 'file' && kind?.text !== 'dir')) {
      return this.error(d, "expected 'inode NAME : file|dir [at dir/name, ...] [ref N]'");
    }
    if (this.inodeNamed(name.text) >= 0) return this.error(name, `inode '${name.text}' is already declared`);
    const decl: InodeDecl = { name: name.text, dir: kind.text === 'dir', names: [], refcount: 0, leases: [] };
    for (let i = 0; i < rest.length; i++) {
      const t = rest[i];
      if (t.text === 'at') {
        for (i++; i < rest.length && rest[i].text !== 'ref'; i++)
          if (rest[i].text !== ',') decl.names.push(this.checkPath(rest[i]));
        i--;
      } else if (t.text === 'ref' && rest[i + 1]?.kind === 'number') {
        decl.refcount = Number(rest[++i].text);
      } else {
        this.error(t, `unexpected '${t.text}' in inode declaration`);
      }
    }
    const index = this.inodes.push(decl) - 1;
    this.locks.push({ name: `${decl.name}.i_rwsem`, kind: 'rwsem', role: 'i_rwsem', inode: index });
    this.locks.push({ name: `${decl.name}.flc_lock`, kind: 'spin', role: 'flc_lock', inode: index });
  }

  checkPath(t: Token): string {
    const parts = t.text.split('/');
    if (parts.length !== 2 || !parts[0] || !parts[1])
      this.error(t, `a name is written DIR/NAME, e.g. dir/a (got '${t.text}')`);
    else if (!this.isDir(parts[0])) this.error(t, `'${parts[0]}' is not a declared directory inode`);
    return t.text;
  }

  isDir(name: string): boolean {
    const i = this.inodeNamed(name);
    return i >= 0 && this.inodes[i].dir;
  }

  /** `lock NAME : mutex|spin|rwsem` */
  private lockDecl(d: { args: Token[] } & Pos): void {
    const [name, colon, kind] = d.args;
    if (!name || colon?.text !== ':' || !LOCK_KINDS.includes(kind?.text as LockKind))
      return this.error(d, "expected 'lock NAME : mutex|spin|rwsem'");
    this.locks.push({ name: name.text, kind: kind.text as LockKind, role: 'other', inode: -1 });
  }

  private check(d: { args: Token[] } & Pos): void {
    const ids = d.args.filter((a) => a.text !== ',');
    const bad = ids.filter((a) => !ALL_INVARIANTS.includes(a.text as InvariantId));
    for (const b of bad) this.error(b, `unknown invariant '${b.text}' (${ALL_INVARIANTS.join(', ')})`);
    this.invariants = ids.map((a) => a.text as InvariantId).filter((id) => ALL_INVARIANTS.includes(id));
  }

  inodeNamed(name: string): number {
    return this.inodes.findIndex((i) => i.name === name);
  }

  /** A lock by name: an inode (its i_rwsem), `X.flc_lock`, `rename_mutex`, or a declared lock. */
  lockNamed(t: Token): number {
    const [base, field] = t.text.split('.');
    const inode = this.inodeNamed(base);
    if (inode >= 0) {
      const role =
        !field || field === 'i_rwsem' || field === 'i_mutex'
          ? 'i_rwsem'
          : field === 'flc_lock' || field === 'i_lock' || field === 'flc'
            ? 'flc_lock'
            : null;
      if (!role) {
        this.error(t, `unknown lock '${t.text}' (an inode's locks are NAME, NAME.i_rwsem and NAME.flc_lock)`);
        return -1;
      }
      return this.locks.findIndex((l) => l.inode === inode && l.role === role);
    }
    if (t.text === 'rename_mutex' || t.text === 's_vfs_rename_mutex') {
      const at = this.locks.findIndex((l) => l.role === 's_vfs_rename_mutex');
      return at >= 0
        ? at
        : this.locks.push({ name: 's_vfs_rename_mutex', kind: 'mutex', role: 's_vfs_rename_mutex', inode: -1 }) - 1;
    }
    const at = this.locks.findIndex((l) => l.role === 'other' && l.name === t.text);
    if (at < 0) this.error(t, `unknown lock '${t.text}'`);
    return at;
  }
}

export function defaultOptions(kernel: string): SimOptions {
  const f = kernelFeatures(kernel);
  return {
    kernel,
    leaseBreakTimeS: DEFAULT_TIMING.leaseBreakTimeS,
    nfsdRevokeS: DEFAULT_TIMING.nfsdRevokeS,
    sleepBoundMs: DEFAULT_TIMING.sleepBoundMs,
    recallBlock: false,
    grantTrylock: f.grantTrylock,
    grantRecheck: f.grantRecheck,
    dirDelegations: f.dirDelegations,
    cacheCapacity: 0,
  };
}

/** "45", "45s", "30ms" → a number in `unit`. */
function parseAmount(v: string, unit: 's' | 'ms'): number | null {
  const ms = v.endsWith('ms');
  const s = !ms && v.endsWith('s');
  const n = Number(ms ? v.slice(0, -2) : s ? v.slice(0, -1) : v);
  if (!Number.isFinite(n) || n < 0) return null;
  if (ms) return unit === 'ms' ? n : n / 1000;
  if (s) return unit === 's' ? n : n * 1000;
  return n;
}

// ---------------------------------------------------------------- threads

type Handler = (tc: ThreadCompiler, s: Stmt) => void;

class ThreadCompiler {
  readonly instrs: Instr[] = [];
  readonly vars: ThreadProgram['vars'] = [{ name: 'err', kind: 'err', initial: 0 }];
  private readonly labels = new Map<string, number>();
  private readonly gotos: { at: number; label: Token }[] = [];

  constructor(
    readonly c: Compiler,
    private readonly decl: ThreadDecl,
    readonly index: number,
  ) {}

  compile(): ThreadProgram {
    this.block(this.decl.body);
    this.emit({ op: 'return' }, 'return', 'end of thread', this.decl);
    for (const g of this.gotos) {
      const target = this.labels.get(g.label.text);
      if (target === undefined) this.c.error(g.label, `no label '${g.label.text}' in ${this.decl.name}`);
      else this.instrs[g.at].next = [target];
    }
    return {
      name: this.decl.name,
      label: this.decl.label ?? this.decl.name,
      actor: this.decl.kind !== 'thread',
      instrs: this.instrs,
      vars: this.vars,
      entryLocks: [],
    };
  }

  emit(body: InstrBody, action: string, detail: string, pos: Pos): number {
    const at = this.instrs.length;
    const next = body.op === 'return' ? [] : [at + 1];
    this.instrs.push({
      ...body,
      next,
      action,
      detail,
      loc: { file: this.c.source, line: pos.line, column: pos.column },
    } as Instr);
    return at;
  }

  get here(): number {
    return this.instrs.length;
  }

  block(stmts: Stmt[]): void {
    for (const s of stmts) this.statement(s);
  }

  private statement(s: Stmt): void {
    // Own properties only: `constructor` or `__proto__` are unknown statements, not Object.prototype's.
    const h = Object.prototype.hasOwnProperty.call(HANDLERS, s.kw) ? HANDLERS[s.kw] : undefined;
    if (!h) return this.c.error(s, `unknown statement '${s.kw}'`);
    h(this, s);
  }

  label(name: Token): void {
    if (this.labels.has(name.text)) this.c.error(name, `label '${name.text}' is already defined`);
    this.labels.set(name.text, this.here);
  }

  goto(label: Token, pos: Pos): void {
    const at = this.emit({ op: 'jump' }, 'goto', label.text, pos);
    this.gotos.push({ at, label });
  }

  /** Slot of a variable, creating it on first binding. */
  slot(name: string, kind: VarKind, create: boolean, pos: Pos): number {
    const at = this.vars.findIndex((v) => v.name === name);
    if (at >= 0) return at;
    if (!create) {
      this.c.error(pos, `unknown variable '${name}' (err, or a name bound with '-> NAME')`);
      return NO_SLOT;
    }
    return this.vars.push({ name, kind, initial: 0 }) - 1;
  }

  inode(t: Token | undefined, s: Stmt): number {
    if (!t) {
      this.c.error(s, `'${s.kw}' needs an inode`);
      return -1;
    }
    const i = this.c.inodeNamed(t.text);
    if (i < 0) this.c.error(t, `unknown inode '${t.text}'`);
    return i;
  }

  /** Words after the first argument that are allowed flags; reports the others. */
  flags(s: Stmt, from: number, allowed: string[]): Set<string> {
    const out = new Set<string>();
    for (const t of s.args.slice(from)) {
      if (allowed.includes(t.text)) out.add(t.text);
      else this.c.error(t, `'${s.kw}' does not take '${t.text}' (${allowed.join(', ') || 'no options'})`);
    }
    return out;
  }

  requireDelegBreaking(s: Stmt): void {
    if (!kernelFeatures(this.c.options.kernel).delegBreaking)
      this.c.error(s, `${s.kw} does not exist before Linux 3.13 (kernel ${this.c.options.kernel})`);
  }

  /** if COND { } [else { }]: a branch on a variable, or a free choice for `?`. */
  ifStatement(s: Stmt): void {
    const cond = s.cond!;
    const [thenBlock, elseBlock] = s.blocks!;
    let at: number;
    if (cond.name === '?') {
      at = this.emit({ op: 'choose' }, 'if', '?', s);
    } else {
      const slot = this.slot(cond.name, 'other', false, cond.pos);
      const v = this.vars[slot];
      const c: Cond = { slot, form: v?.kind === 'di' ? 'delegated' : 'truthy', negated: cond.negated };
      at = this.emit({ op: 'branch', cond: c }, 'if', `${cond.negated ? '!' : ''}${cond.name}`, s);
    }
    this.block(thenBlock);
    if (!elseBlock) {
      this.instrs[at].next = [at + 1, this.here];
      return;
    }
    const skip = this.emit({ op: 'jump' }, 'goto', 'end of if', s);
    const elseStart = this.here;
    this.block(elseBlock);
    this.instrs[skip].next = [this.here];
    this.instrs[at].next = [at + 1, elseStart];
  }

  choose(s: Stmt): void {
    const at = this.emit({ op: 'choose' }, 'choose', `${s.blocks!.length} ways`, s);
    const starts: number[] = [];
    const ends: number[] = [];
    for (const b of s.blocks!) {
      starts.push(this.here);
      this.block(b);
      ends.push(this.emit({ op: 'jump' }, 'goto', 'end of choose', s));
    }
    this.instrs[at].next = starts;
    for (const e of ends) this.instrs[e].next = [this.here];
  }

  loop(s: Stmt): void {
    const start = this.here;
    this.block(s.blocks![0]);
    this.emit({ op: 'jump' }, 'goto', 'loop', s);
    this.instrs[this.here - 1].next = [start];
  }

  /** generic_add_lease(): see the file comment. */
  grant(s: Stmt, kind: LeaseKind): void {
    const inode = this.inode(s.args[0], s);
    const flags = this.flags(s, 1, ['deleg', 'lease', 'layout', 'read', 'write']);
    const leaseKind: LeaseKind = flags.has('lease') ? 'lease' : flags.has('layout') ? 'layout' : kind;
    const type = flags.has('write') ? 'write' : 'read';
    if (inode < 0) return;
    const name = this.c.inodes[inode].name;
    const o = this.c.options;
    const flc = this.c.locks.findIndex((l) => l.inode === inode && l.role === 'flc_lock');
    const rwsem = this.c.locks.findIndex((l) => l.inode === inode && l.role === 'i_rwsem');
    const trylock = o.grantTrylock && leaseKind === 'deleg';
    const err = 0;
    const fails: number[] = [];
    if (trylock) {
      const ok = this.slot('_trylock', 'ok', true, s);
      this.emit(
        { op: 'trylock', lock: rwsem, shared: false, result: ok },
        'inode_trylock',
        `${name} (generic_add_lease)`,
        s,
      );
      const b = this.emit(
        { op: 'branch', cond: { slot: ok, form: 'truthy', negated: false } },
        'if',
        '!inode_trylock',
        s,
      );
      const setErr = this.emit({ op: 'set', slot: err, value: -EAGAIN }, 'return', '-EAGAIN', s);
      fails.push(this.emit({ op: 'jump' }, 'goto', 'out', s));
      this.instrs[b].next = [this.here, setErr];
    }
    this.emit(
      { op: 'leaseCheck', inode, kind: leaseKind, type, flc, result: err },
      'generic_add_lease',
      `${name}: ${type} ${leaseKind}`,
      s,
    );
    const refused = this.emit({ op: 'branch', cond: { slot: err, form: 'truthy', negated: false } }, 'if', 'error', s);
    this.emit(
      { op: 'leaseInsert', inode, kind: leaseKind, type, flc, recheck: o.grantRecheck, result: err },
      'locks_insert_lease',
      name,
      s,
    );
    const unlockAt = this.here;
    if (trylock) this.emit({ op: 'unlock', lock: rwsem }, 'inode_unlock', `${name} (generic_add_lease)`, s);
    this.instrs[refused].next = [unlockAt, refused + 1];
    for (const f of fails) this.instrs[f].next = [this.here];
  }

  open(s: Stmt): void {
    const inode = this.inode(s.args[0], s);
    const flags = this.flags(s, 1, ['read', 'write', 'nonblock']);
    if (inode < 0) return;
    const write = !flags.has('read');
    const name = this.c.inodes[inode].name;
    this.emit(
      { op: 'writeAccess', inode, delta: 1, read: !write },
      write ? 'get_write_access' : 'i_readcount_inc',
      name,
      s,
    );
    this.emit(
      { op: 'break', inode, kind: 'lease', blocking: !flags.has('nonblock'), write, out: NO_SLOT, result: 0 },
      'break_lease',
      name,
      s,
    );
    this.emit({ op: 'openDone', inode, write }, 'do_dentry_open', `${name} (${write ? 'write' : 'read'})`, s);
  }

  /** rename/link/unlink/create/mkdir/rmdir by path. */
  namespace(s: Stmt): void {
    const paths = s.args.filter((a) => a.text !== '->');
    const kind = s.kw as 'rename' | 'link' | 'unlink' | 'create' | 'mkdir' | 'rmdir';
    const two = kind === 'rename' || kind === 'link';
    const creates = kind === 'create' || kind === 'mkdir';
    const want = two ? 2 : creates ? 3 : 1;
    if (paths.length !== want || (creates && paths[1].text !== 'as')) {
      const usage = two ? `${kind} DIR/A -> DIR/B` : creates ? `${kind} DIR/NAME as INODE` : `${kind} DIR/NAME`;
      return this.c.error(s, `expected '${usage}'`);
    }
    const from = this.c.checkPath(paths[0]);
    const to = two ? this.c.checkPath(paths[1]) : creates ? from : '';
    const inode = creates ? this.inode(paths[2], s) : this.c.inodes.findIndex((i) => i.names.includes(from));
    const dirs = [...new Set([from, to].filter(Boolean).map((p) => this.c.inodeNamed(p.split('/')[0])))];
    const detail = two ? `${from} → ${to}` : from;
    this.emit({ op: 'ns', kind, inode, from: creates ? '' : from, to, dirs, result: 0 }, `vfs_${kind}`, detail, s);
  }
}

function simple(body: (tc: ThreadCompiler, s: Stmt, inode: number) => InstrBody | null, action?: string): Handler {
  return (tc, s) => {
    const inode = tc.inode(s.args[0], s);
    if (inode < 0) return;
    const b = body(tc, s, inode);
    if (b) tc.emit(b, action ?? s.kw, tc.c.inodes[inode].name, s);
  };
}

function lockHandler(op: 'lock' | 'trylock' | 'unlock'): Handler {
  return (tc, s) => {
    const t = s.args[0];
    if (!t) return tc.c.error(s, `'${s.kw}' needs a lock`);
    const lock = tc.c.lockNamed(t);
    const flags = tc.flags(s, 1, op === 'unlock' ? [] : ['shared']);
    if (lock < 0) return;
    const shared = flags.has('shared');
    const decl = tc.c.locks[lock];
    const action = kernelLockCall(decl.kind, decl.role, op, shared);
    const detail = decl.role === 'i_rwsem' ? `${tc.c.inodes[decl.inode].name}` : decl.name;
    if (op === 'trylock') {
      const result = tc.slot(s.bind?.text ?? 'ok', 'ok', true, s);
      tc.emit({ op, lock, shared, result }, action, detail, s);
    } else if (op === 'lock') {
      tc.emit({ op, lock, shared }, action, detail, s);
    } else {
      tc.emit({ op, lock }, action, detail, s);
    }
  };
}

function kernelLockCall(kind: LockKind, role: string, op: string, shared: boolean): string {
  const sfx = op === 'unlock' ? 'unlock' : op === 'trylock' ? 'trylock' : 'lock';
  if (role === 'i_rwsem') return `inode_${sfx}${shared ? '_shared' : ''}`;
  if (kind === 'spin') return `spin_${sfx}`;
  if (kind === 'rwsem')
    return op === 'unlock' ? (shared ? 'up_read' : 'up_write') : shared ? 'down_read' : 'down_write';
  return `mutex_${sfx}`;
}

function breakHandler(kind: LeaseKind, blocking: boolean, action: string): Handler {
  return (tc, s) => {
    if (action.includes('deleg')) tc.requireDelegBreaking(s);
    const inode = tc.inode(s.args[0], s);
    const flags = tc.flags(s, 1, kind === 'lease' ? ['read', 'write', 'nonblock'] : []);
    if (inode < 0) return;
    const out = !blocking && s.bind ? tc.slot(s.bind.text, 'di', true, s.bind) : NO_SLOT;
    const isBlocking = blocking && !flags.has('nonblock');
    tc.emit(
      { op: 'break', inode, kind, blocking: isBlocking, write: !flags.has('read'), out, result: 0 },
      action,
      tc.c.inodes[inode].name,
      s,
    );
  };
}

const mutate = (what: 'names' | 'attrs' | 'dirent' | 'data'): Handler =>
  simple((_tc, _s, inode) => ({ op: 'mutate', inode, what }));

const HANDLERS: Record<string, Handler> = {
  label: (tc, s) => tc.label(s.args[0]),
  goto: (tc, s) => (s.args[0] ? tc.goto(s.args[0], s) : tc.c.error(s, "'goto' needs a label")),
  if: (tc, s) => tc.ifStatement(s),
  choose: (tc, s) => tc.choose(s),
  loop: (tc, s) => tc.loop(s),
  return: (tc, s) => void tc.emit({ op: 'return' }, 'return', '', s),
  lock: lockHandler('lock'),
  trylock: lockHandler('trylock'),
  unlock: lockHandler('unlock'),
  break_lease: breakHandler('lease', true, 'break_lease'),
  break_deleg: breakHandler('deleg', true, 'break_deleg'),
  try_break_deleg: breakHandler('deleg', false, 'try_break_deleg'),
  break_layout: breakHandler('layout', true, 'break_layout'),
  break_deleg_wait: waitHandler,
  wait: waitHandler,
  grant: (tc, s) => tc.grant(s, 'deleg'),
  setlease: (tc, s) => tc.grant(s, 'lease'),
  await_recall: simple((_tc, _s, inode) => ({ op: 'awaitRecall', inode }), 'await_recall'),
  delegreturn: simple((_tc, _s, inode) => ({ op: 'leaseReturn', inode }), 'DELEGRETURN'),
  unlock_lease: simple((_tc, _s, inode) => ({ op: 'leaseReturn', inode }), 'F_UNLCK'),
  open: (tc, s) => tc.open(s),
  close: simple(
    (tc, s, inode) => ({ op: 'writeAccess', inode, delta: -1, read: tc.flags(s, 1, ['read', 'write']).has('read') }),
    'fput',
  ),
  get_write_access: simple((_tc, _s, inode) => ({ op: 'writeAccess', inode, delta: 1, read: false })),
  put_write_access: simple((_tc, _s, inode) => ({ op: 'writeAccess', inode, delta: -1, read: false })),
  rename: (tc, s) => tc.namespace(s),
  link: (tc, s) => tc.namespace(s),
  unlink: (tc, s) => tc.namespace(s),
  create: (tc, s) => tc.namespace(s),
  mkdir: (tc, s) => tc.namespace(s),
  rmdir: (tc, s) => tc.namespace(s),
  setattr: mutate('attrs'),
  setxattr: mutate('attrs'),
  write: mutate('data'),
  change: (tc, s) => {
    const what = s.args[1]?.text;
    if (what !== 'names' && what !== 'attrs' && what !== 'dirent' && what !== 'data')
      return tc.c.error(s, "expected 'change INODE names|attrs|dirent|data'");
    const inode = tc.inode(s.args[0], s);
    if (inode >= 0) tc.emit({ op: 'mutate', inode, what }, 'change', `${tc.c.inodes[inode].name} ${what}`, s);
  },
  iget: simple((_tc, _s, inode) => ({ op: 'ref', inode, kind: 'iget' })),
  ihold: simple((_tc, _s, inode) => ({ op: 'ref', inode, kind: 'ihold' })),
  iput: simple((_tc, _s, inode) => ({ op: 'ref', inode, kind: 'iput' })),
  sleep: (tc, s) => {
    const ms = s.args[0] ? parseAmount(s.args[0].text, 'ms') : null;
    if (ms === null) return tc.c.error(s, 'expected \'sleep TIME ["why"]\', e.g. sleep 30ms');
    tc.emit({ op: 'sleep', ms, why: s.args[1]?.text ?? 'sleep' }, 'sleep', s.args[1]?.text ?? `${s.args[0].text}`, s);
  },
};

function waitHandler(tc: ThreadCompiler, s: Stmt): void {
  tc.requireDelegBreaking(s);
  const t = s.args[0];
  if (!t) return tc.c.error(s, `'${s.kw}' needs the delegated-inode variable`);
  const di = tc.slot(t.text, 'di', false, t);
  if (di >= 0) tc.emit({ op: 'waitDeleg', di, result: 0 }, 'break_deleg_wait', t.text, s);
}
