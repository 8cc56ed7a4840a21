/**
 * A function the analyzer understands becomes a thread: first its caller takes the locks the function is called
 * with (the catalogue contract, or what the analysis inferred), then the function's delegation events run along
 * the paths the analysis finds feasible (src/sim/bridge: correlated branches decided once), and after each return
 * the caller releases its locks. Branches test the variables the events set (`error = try_break_deleg(...)`;
 * `if (error)` follows the break's outcome) or are free choices. It runs against opponents chosen from what the
 * function does: an NFS client obtaining a delegation on every inode it changes or opens (directories only from
 * 6.19), a local open for write and an unlink (3.13 protocol) against a lease-granting path, and a second rename
 * when the function renames under two or more sleeping inode locks. Every step carries its file and line.
 */
import { displayName, type CallerLock, type FunctionModel, type ModelEvent, type ModelNode } from './bridge';
import type { InodeDecl, LockDecl, LockKind } from '../model/state';
import { defaultOptions } from './lang/compile';
import {
  ALL_INVARIANTS,
  NO_SLOT,
  UNKNOWN,
  type Cond,
  type Instr,
  type InstrBody,
  type MutationKind,
  type Program,
  type SimOptions,
  type ThreadProgram,
  type VarKind,
} from './program';

export interface FromCodeOptions {
  /** Kernel version to simulate ("3.13", "6.19", ...); by default the version the analyzer read the file as. */
  kernel?: string;
}

/** The scenario for one function, or why there is none. */
export function programFromFunction(m: FunctionModel, o: FromCodeOptions = {}): Program | { error: string } {
  const world = new World();
  world.collect(m);
  if (!world.hasEvents)
    return { error: `${m.name} has no delegation-relevant events on an inode: nothing to simulate` };
  const fn = new FunctionThread(world, m).build();
  const options = defaultOptions(o.kernel ?? m.version ?? '6.12');
  const threads = [fn, ...opponents(world, options, fn)];
  return {
    title: `${m.name} against NFS clients and local opens`,
    source: `${m.file}:${m.name}`,
    description: `${m.name} (${m.file}:${m.line}) as a thread of its delegation events in control-flow order, against ${
      threads
        .slice(1)
        .map((t) => t.label)
        .join(', ') || 'no opponent'
    }.`,
    options,
    inodes: world.inodes,
    locks: world.locks,
    threads,
    // No `progress`: the NFS clients here obtain one delegation each, so a retry loop of the function can only cycle
    // through conditions the model does not know (retry_estale(), a lookup's result), which terminate in the kernel.
    invariants: ALL_INVARIANTS.filter((i) => i !== 'progress'),
  };
}

// ---------------------------------------------------------------- inodes and locks of the function

const INODE_EVENTS = new Set(['break', 'mutate', 'grant', 'access', 'releaseAccess', 'open', 'delegOp']);

class World {
  readonly inodes: InodeDecl[] = [];
  readonly locks: LockDecl[] = [];
  private readonly inodeByKey = new Map<string, number>();
  private readonly lockByKey = new Map<string, number>();
  readonly dirs = new Set<number>();
  readonly changed = new Map<number, MutationKind>();
  readonly granted = new Set<number>();
  readonly opened = new Set<number>();
  /** Inodes opened for write on some path (a read open does not conflict with a read delegation). */
  readonly openedForWrite = new Set<number>();
  /** Sleeping inode locks the function's thread takes (its own and its caller's). */
  readonly sleepingLocks = new Set<number>();
  hasEvents = false;

  collect(m: FunctionModel): void {
    for (const c of callerLocksOf(m)) if (c.cls === 'inode') this.inode(c.key, c.display);
    for (const key of m.dirs ?? []) this.inodes[this.inode(key, displayName(key))].dir = true;
    for (const n of m.nodes) {
      for (const e of n.events) {
        if (e.kind === 'lock' && lockClass(e) === 'inode') this.inode(e.key, e.display);
        if (INODE_EVENTS.has(e.kind) && e.key) {
          this.note(e, this.inode(e.key, e.display));
          this.hasEvents = true;
        }
      }
    }
  }

  private note(e: ModelEvent, i: number): void {
    if (e.kind === 'mutate') {
      if (e.detail === 'dirent') this.dirs.add(i);
      this.changed.set(i, e.detail as MutationKind);
    }
    if (e.kind === 'delegOp') this.changed.set(i, 'names');
    if (e.kind === 'grant') this.granted.add(i);
    if (e.kind === 'access' || e.kind === 'open') this.opened.add(i);
    if ((e.kind === 'access' && e.detail === 'write') || (e.kind === 'open' && e.write !== false))
      this.openedForWrite.add(i);
    if (e.kind === 'mutate' && e.detail === 'dirent') this.inodes[i].dir = true;
  }

  inode(key: string, display: string): number {
    const known = this.inodeByKey.get(key);
    if (known !== undefined) return known;
    const taken = new Set(this.inodes.map((i) => i.name));
    let name = display || key;
    for (let n = 2; taken.has(name); n++) name = `${display}#${n}`;
    const at = this.inodes.push({ name, dir: false, names: [], refcount: 1, leases: [] }) - 1;
    this.inodeByKey.set(key, at);
    this.locks.push({ name: `${name}.i_rwsem`, kind: 'rwsem', role: 'i_rwsem', inode: at });
    this.lockByKey.set(key, this.locks.length - 1);
    return at;
  }

  inodeOf(key: string): number {
    return this.inodeByKey.get(key) ?? -1;
  }

  lockOf(key: string, display: string, cls: string): number {
    const known = this.lockByKey.get(key);
    if (known !== undefined) return known;
    if (cls === 'inode') {
      this.inode(key, display);
      return this.lockByKey.get(key)!;
    }
    const kind: LockKind = cls === 'spin' ? 'spin' : 'mutex';
    const at =
      this.locks.push({
        name: display || key,
        kind,
        role: cls === 'rename' ? 's_vfs_rename_mutex' : 'other',
        inode: -1,
      }) - 1;
    this.lockByKey.set(key, at);
    return at;
  }

  rwsemOf(inode: number): number {
    return this.locks.findIndex((l) => l.inode === inode && l.role === 'i_rwsem');
  }
}

function lockClass(e: ModelEvent): string {
  return e.detail.split(':')[0];
}

// ---------------------------------------------------------------- building threads

class Builder {
  readonly instrs: Instr[] = [];
  readonly vars: ThreadProgram['vars'] = [{ name: 'err', kind: 'err', initial: 0 }];

  emit(body: InstrBody, action: string, detail: string, loc?: Instr['loc']): number {
    const at = this.instrs.length;
    this.instrs.push({ ...body, next: body.op === 'return' ? [] : [at + 1], action, detail, loc } as Instr);
    return at;
  }

  slot(name: string, kind: VarKind): number {
    const at = this.vars.findIndex((v) => v.name === name);
    return at >= 0 ? at : this.vars.push({ name, kind, initial: kind === 'di' ? 0 : UNKNOWN }) - 1;
  }

  /** if (cond) { then } — `then` emits the guarded instructions. */
  guard(cond: Cond, then: () => void, action = 'if', detail = ''): void {
    const at = this.emit({ op: 'branch', cond }, action, detail);
    then();
    this.instrs[at].next = [at + 1, this.instrs.length];
  }

  thread(name: string, label: string, actor: boolean): ThreadProgram {
    this.emit({ op: 'return' }, 'return', '');
    return { name, label, actor, instrs: this.instrs, vars: this.vars, entryLocks: [] };
  }
}

class FunctionThread {
  private readonly b = new Builder();
  /** First instruction of each CFG node (after building), -1 for nodes that emit nothing. */
  private readonly first = new Map<number, number>();
  private readonly lastOf = new Map<number, number>();
  private readonly callResult = new Map<number, number>();
  /**
   * Locks whose holding the thread tracks in a variable (lock index → variable): the caller's (released after the
   * return if still held), object-owned ones (nfsd's fh_lock, released by the owner after the return), and those
   * with a release that only releases if held (fh_unlock).
   */
  private readonly callerHeld = new Map<number, number>();
  private readonly owned: { lock: number; api: string; display: string }[] = [];

  /** Variables some branch tests. */
  private readonly tested: Set<string>;

  constructor(
    private readonly w: World,
    private readonly m: FunctionModel,
  ) {
    this.tested = new Set(m.nodes.map((n) => n.test?.subject ?? '').filter((x) => x));
  }

  build(): ThreadProgram {
    this.declareVariables();
    // The caller takes its locks first (the thread starts at instruction 0), then calls the function.
    for (const c of callerLocksOf(this.m)) {
      const lock = this.callerLock(c);
      this.b.emit(
        { op: 'lock', lock, shared: false },
        `caller: ${lockApi(c.cls)}(${c.display})`,
        this.callerDetail(),
        this.loc(this.m.line),
      );
      const slot = this.b.vars.push({ name: `${this.w.locks[lock].name} held`, kind: 'ok', initial: 0 }) - 1;
      this.callerHeld.set(lock, slot);
      this.b.emit({ op: 'set', slot, value: 1 }, 'assign', '', this.loc(this.m.line));
    }
    for (const c of this.m.callerBreaks ?? []) {
      // The caller breaks the delegation under its lock; if one is outstanding it unlocks and waits outside (its
      // delegated inode, the caller's to wait on and put), without calling the function.
      const inode = this.w.inodeOf(c.key);
      if (inode < 0) continue;
      const di =
        this.b.vars.push({ name: `delegated_inode (${c.display}, caller's)`, kind: 'di', initial: 0, escapes: true }) -
        1;
      const err = this.b.slot('caller error', 'err');
      this.b.emit(
        { op: 'break', inode, kind: 'deleg', blocking: false, write: true, out: di, result: err },
        `caller: try_break_deleg(${c.display})`,
        this.callerDetail(),
        this.loc(this.m.line),
      );
      this.b.guard(
        { slot: err, form: 'truthy', negated: false },
        () => this.callerReleases(this.loc(this.m.line)),
        'if',
        'error',
      );
    }
    const call = this.b.emit({ op: 'jump' }, 'call', `${this.m.name}()`, this.loc(this.m.line));
    for (const n of this.m.nodes) {
      for (const e of n.events) {
        if (!(e.kind === 'lock' && e.escapes) && !(e.kind === 'unlock' && e.ifHeld)) continue;
        const lock = this.w.lockOf(e.key, e.display, e.kind === 'lock' ? e.detail.split(':')[0] : e.detail);
        if (!this.callerHeld.has(lock))
          this.callerHeld.set(
            lock,
            this.b.vars.push({ name: `${this.w.locks[lock].name} held`, kind: 'ok', initial: 0 }) - 1,
          );
        if (e.kind === 'lock' && !this.owned.some((o) => o.lock === lock))
          this.owned.push({ lock, api: e.api, display: e.display });
      }
    }
    for (const n of this.m.nodes) this.node(n);
    this.link();
    this.b.instrs[call].next = [this.first.get(this.m.entry) ?? this.resolve(this.m.entry)];
    return {
      name: this.m.name,
      label: `${this.m.name}()`,
      actor: false,
      instrs: this.b.instrs,
      vars: this.b.vars,
      entryLocks: [],
    };
  }

  private callerLock(c: CallerLock): number {
    return this.w.lockOf(c.key, c.display, c.cls);
  }

  private callerDetail(): string {
    return this.m.caller
      ? `held by ${this.m.caller}() when it calls ${this.m.name}()`
      : `${this.m.name}()'s callers hold it (its locking contract)`;
  }

  private declareVariables(): void {
    for (const n of this.m.nodes) {
      for (const e of n.events) {
        if (e.out) this.b.slot(e.out, 'di');
        if (e.kind === 'wait' && e.key) this.b.slot(e.key, 'di');
        if (e.result) this.b.slot(e.result, 'err');
      }
    }
    // Parameters carrying the caller's delegated-inode pointer: the reference is the caller's to put.
    for (const n of this.m.nodes)
      for (const e of n.events)
        if (e.outIsParam) this.b.vars.push({ name: `${e.display} (caller's)`, kind: 'di', initial: 0, escapes: true });
  }

  private loc(line: number, column?: number): Instr['loc'] {
    return { file: this.m.file, line, column };
  }

  private node(n: ModelNode): void {
    const start = this.b.instrs.length;
    for (const a of n.assigns ?? []) {
      const slot = this.b.vars.findIndex((v) => v.name === a.name);
      // Only values something reads: a branch's variable, or a delegated inode (waited on, or leaked at the return).
      if (slot >= 0 && (this.b.vars[slot].kind === 'di' || this.tested.has(a.name))) {
        this.b.emit({ op: 'set', slot, value: a.value === 'null' ? 0 : UNKNOWN }, 'assign', a.name, this.loc(n.line));
      }
    }
    for (let i = 0; i < n.events.length; i++) {
      const e = n.events[i];
      if (e.kind === 'lock' && e.conditional && e.when !== 'nonzero') {
        // One call taking its locks only if it succeeds (lock_rename, start_dirop, inode_lock_killable): all of them.
        let j = i + 1;
        while (
          j < n.events.length &&
          n.events[j].kind === 'lock' &&
          n.events[j].start === e.start &&
          n.events[j].conditional
        )
          j++;
        this.conditionalLocks(n, n.events.slice(i, j));
        i = j - 1;
      } else this.event(n, e);
    }
    if (n.kind === 'cond') this.branch(n);
    else if (n.kind === 'return' || n.kind === 'exit') this.returnToCaller(n);
    else if (n.succ.filter((s) => s >= 0).length > 1) this.b.emit({ op: 'choose' }, 'switch', '', this.loc(n.line));
    if (this.b.instrs.length > start) {
      this.first.set(n.id, start);
      this.lastOf.set(n.id, this.b.instrs.length - 1);
    }
  }

  /**
   * A call that sleeps for its locks and then succeeds holding them, or fails having released them (an error, a
   * rename trap, a signal): the locks are taken, then either way is possible, and the result variable says which.
   */
  private conditionalLocks(n: ModelNode, evs: ModelEvent[]): void {
    const e = evs[0];
    const loc = this.loc(e.line, e.column);
    const slot = e.result ? this.b.slot(e.result, 'err') : this.b.slot(`${e.api}@${e.line}`, 'err');
    this.callResult.set(n.id, slot);
    const locks = evs.map((x) => ({
      lock: this.w.lockOf(x.key, x.display, x.detail.split(':')[0]),
      shared: x.detail.endsWith(':shared'),
      display: x.display,
    }));
    for (const l of locks) {
      this.b.emit({ op: 'lock', lock: l.lock, shared: l.shared }, e.api, l.display, loc);
      this.noteCallerLock(l.lock, true, loc);
    }
    // A result nobody tests (lock_rename() before it could fail): the code relies on success, as the analysis does.
    const tested = this.m.nodes.some(
      (x) => x.test && (e.result ? x.test.subject === e.result : x === n && x.test.form === 'call'),
    );
    if (!tested) return;
    const choose = this.b.emit({ op: 'choose' }, e.api, 'succeeds or fails', loc);
    const ok = this.b.emit({ op: 'set', slot, value: e.when === 'zero' ? 0 : 1 }, e.api, 'succeeds', loc);
    const fail = this.b.instrs.length;
    for (const l of [...locks].reverse()) {
      this.b.emit({ op: 'unlock', lock: l.lock }, e.api, `${l.display} (fails: released)`, loc);
      this.noteCallerLock(l.lock, false, loc);
    }
    this.b.emit({ op: 'set', slot, value: -4 }, e.api, 'fails', loc);
    // Both ways meet here (the node's next instruction, or its successors once linked).
    const join = this.b.emit({ op: 'jump' }, e.api, 'returns', loc);
    this.b.instrs[choose].next = [ok, fail];
    this.b.instrs[ok].next = [join];
  }

  /** The function returns; its caller releases the locks it still holds there (in reverse order of taking). */
  private returnToCaller(n: ModelNode): void {
    const loc = this.loc(n.line);
    if (callerLocksOf(this.m).length) this.b.emit({ op: 'jump' }, 'return', `from ${this.m.name}()`, loc);
    this.callerReleases(loc);
  }

  /** The caller drops what it still holds and returns. */
  private callerReleases(loc: Instr['loc']): void {
    for (const o of this.owned) {
      this.b.guard(
        { slot: this.callerHeld.get(o.lock)!, form: 'truthy', negated: false },
        () =>
          this.b.emit(
            { op: 'unlock', lock: o.lock },
            `owner: ${unlockApi(this.w.locks[o.lock].kind === 'rwsem' ? 'inode' : 'mutex')}(${o.display})`,
            `taken by ${o.api}(), released by the object's owner after the return`,
            loc,
          ),
        'if',
        `holds ${o.display}`,
      );
    }
    const locks = callerLocksOf(this.m).reverse();
    for (const c of locks) {
      const lock = this.callerLock(c);
      // The function may have released its caller's lock itself (and not retaken it): the caller knows.
      this.b.guard(
        { slot: this.callerHeld.get(lock)!, form: 'truthy', negated: false },
        () => this.b.emit({ op: 'unlock', lock }, `caller: ${unlockApi(c.cls)}(${c.display})`, '', loc),
        'if',
        `holds ${c.display}`,
      );
    }
    this.b.emit({ op: 'return' }, locks.length ? 'caller returns' : 'return', '', loc);
  }

  /** Keeps the caller-lock variable in step when the function itself takes or drops that lock. */
  private noteCallerLock(lock: number, held: boolean, loc: Instr['loc']): void {
    const slot = this.callerHeld.get(lock);
    if (slot !== undefined) this.b.emit({ op: 'set', slot, value: held ? 1 : 0 }, 'assign', '', loc);
  }

  private branch(n: ModelNode): void {
    const cond = this.condition(n);
    const loc = this.loc(n.line);
    if (cond) this.b.emit({ op: 'branch', cond }, 'if', n.condition ?? '', loc);
    else this.b.emit({ op: 'choose' }, 'if', `${n.condition ?? '?'} (either way)`, loc);
  }

  /** The branch as a test of a variable the model tracks; null makes it a free choice. */
  private condition(n: ModelNode): Cond | null {
    const t = n.test;
    if (!t) return null;
    if (t.form === 'call') {
      const slot = this.callResult.get(n.id);
      return slot === undefined ? null : { slot, form: 'truthy', negated: t.negated };
    }
    const slot = this.b.vars.findIndex((v) => v.name === t.subject);
    if (slot < 0) return null;
    return { slot, form: t.form, negated: t.negated };
  }

  private event(n: ModelNode, e: ModelEvent): void {
    const loc = this.loc(e.line, e.column);
    const w = this.w;
    const inode = w.inodeOf(e.key);
    const result = e.result ? this.b.slot(e.result, 'err') : NO_SLOT;
    const detail = e.display;
    switch (e.kind) {
      case 'lock': {
        const [cls, mode] = e.detail.split(':');
        const lock = w.lockOf(e.key, e.display, cls);
        const shared = mode === 'shared';
        if (!e.conditional) {
          this.b.emit({ op: 'lock', lock, shared }, e.api, detail, loc);
          return this.noteCallerLock(lock, true, loc);
        }
        const slot = result >= 0 ? result : this.b.slot(`${e.api}@${e.line}`, 'ok');
        this.callResult.set(n.id, slot);
        return void this.b.emit({ op: 'trylock', lock, shared, result: slot }, e.api, detail, loc);
      }
      case 'unlock': {
        const lock = w.lockOf(e.key, e.display, e.detail);
        const held = this.callerHeld.get(lock);
        if (e.ifHeld && held !== undefined) {
          // fh_unlock(): releases only what is held.
          this.b.guard(
            { slot: held, form: 'truthy', negated: false },
            () => {
              this.b.emit({ op: 'unlock', lock }, e.api, detail, loc);
              this.noteCallerLock(lock, false, loc);
            },
            'if',
            `holds ${detail}`,
          );
          return;
        }
        this.b.emit({ op: 'unlock', lock }, e.api, detail, loc);
        return this.noteCallerLock(lock, false, loc);
      }
      case 'break': {
        const [kind, how] = e.detail.split(':');
        const out = e.out ? this.b.slot(e.out, 'di') : e.outIsParam ? this.callerSlot(e) : NO_SLOT;
        return void this.b.emit(
          { op: 'break', inode, kind: kind as 'deleg', blocking: how !== 'nonblocking', write: true, out, result },
          e.api,
          detail,
          loc,
        );
      }
      case 'wait':
        return void this.b.emit({ op: 'waitDeleg', di: this.b.slot(e.key, 'di'), result }, e.api, detail, loc);
      case 'mutate':
        return void this.b.emit(
          { op: 'mutate', inode, what: e.detail as MutationKind },
          e.api,
          `${detail} ${e.detail}`,
          loc,
        );
      case 'delegOp':
        return this.delegOp(e, inode, result, loc);
      case 'grant':
        return void this.b.emit(
          {
            op: 'leaseInsert',
            inode,
            kind: e.lease ?? 'deleg',
            type: 'read',
            flc: -1,
            recheck: e.detail === 'recheck-after',
            result,
          },
          e.api,
          e.lease === 'lease' ? `${detail} (a lease: not a delegation)` : detail,
          loc,
        );
      case 'conflictCheck': {
        const g = [...w.granted][0];
        if (g === undefined) return;
        return void this.b.emit(
          { op: 'leaseCheck', inode: g, kind: 'deleg', type: 'read', flc: -1, result },
          'check_conflicting_open',
          w.inodes[g].name,
          loc,
        );
      }
      case 'access':
        return void this.b.emit({ op: 'writeAccess', inode, delta: 1, read: e.detail === 'read' }, e.api, detail, loc);
      case 'releaseAccess':
        return void this.b.emit({ op: 'writeAccess', inode, delta: -1, read: false }, e.api, detail, loc);
      case 'open':
        // do_dentry_open() and friends: an open for write only if this path took write access.
        if (inode >= 0)
          this.b.emit(
            { op: 'openDone', inode, write: e.write !== false },
            e.api,
            `${detail} (${e.write === false ? 'read' : 'write'})`,
            loc,
          );
        return;
      case 'sleeps':
        return void this.b.emit({ op: 'sleep', ms: 0, why: e.detail || e.api }, e.api, e.detail, loc);
    }
  }

  /**
   * vfs_unlink(..., &di) and friends: inside, the callee holds the victim's lock across try_break_deleg() and the
   * change (the analyzer checks that of the callee itself), so here it is one atomic step.
   */
  private delegOp(e: ModelEvent, inode: number, result: number, loc: Instr['loc']): void {
    if (inode < 0) return;
    const out = e.out ? this.b.slot(e.out, 'di') : e.outIsParam ? this.callerSlot(e) : NO_SLOT;
    const r = result >= 0 ? result : 0;
    this.b.emit(
      { op: 'break', inode, kind: 'deleg', blocking: false, write: true, out, result: r, change: 'names' },
      e.api,
      e.display,
      loc,
    );
  }

  private callerSlot(e: ModelEvent): number {
    return this.b.vars.findIndex((v) => v.name === `${e.display} (caller's)`);
  }

  /** The first instruction of a node, following empty nodes (cycles of empty nodes become a self-loop). */
  /**
   * The first instruction at or after CFG node `id`: event-less nodes are followed to their first successor (a
   * loop, not recursion: a function of thousands of statements has chains that long). Every node on the chain
   * resolves to the same instruction, so all of them are remembered; a chain that ends or cycles becomes a return.
   */
  private resolve(id: number): number {
    const chain: number[] = [];
    const seen = new Set<number>();
    let cur = id;
    let at: number | undefined;
    for (;;) {
      at = this.first.get(cur);
      if (at !== undefined) break;
      const next = this.m.nodes[cur]?.succ.find((s) => s >= 0);
      if (next === undefined || seen.has(cur)) {
        at = this.b.emit({ op: 'return' }, 'return', 'end', undefined);
        break;
      }
      seen.add(cur);
      chain.push(cur);
      cur = next;
    }
    this.first.set(cur, at);
    for (const n of chain) this.first.set(n, at);
    return at;
  }

  private link(): void {
    for (const n of this.m.nodes) {
      const last = this.lastOf.get(n.id);
      if (last === undefined) continue;
      const ins = this.b.instrs[last];
      if (ins.op === 'return') continue;
      const succ = n.succ.filter((s) => s >= 0).map((s) => this.resolve(s));
      if (ins.op === 'branch' || (ins.op === 'choose' && n.kind === 'cond')) {
        ins.next = n.succ.map((s) => (s >= 0 ? this.resolve(s) : this.resolve(n.succ.find((x) => x >= 0)!)));
      } else if (ins.op === 'choose') {
        ins.next = succ;
      } else {
        ins.next = succ.length ? [succ[0]] : [this.resolve(this.m.exit)];
      }
    }
  }
}

function callerLocksOf(m: FunctionModel): CallerLock[] {
  return m.callerLocks ?? m.entryLocks.map((key) => ({ key, display: key, cls: 'inode' }));
}

function lockApi(cls: string): string {
  return cls === 'inode' ? 'inode_lock' : cls === 'spin' ? 'spin_lock' : 'mutex_lock';
}

function unlockApi(cls: string): string {
  return cls === 'inode' ? 'inode_unlock' : cls === 'spin' ? 'spin_unlock' : 'mutex_unlock';
}

// ---------------------------------------------------------------- opponents

function opponents(w: World, options: SimOptions, fn: ThreadProgram): ThreadProgram[] {
  const out: ThreadProgram[] = [];
  const dirDelegs = options.dirDelegations;
  const clientTargets = new Set<number>([...w.changed.keys(), ...w.opened]);
  for (const i of clientTargets) {
    if (w.inodes[i].dir && !dirDelegs) continue;
    if (w.granted.has(i)) continue;
    if (out.length < 2) out.push(nfsClient(w, i, out.length, options));
  }
  for (const i of w.granted) {
    out.push(localOpen(w, i));
    out.push(unlinker(w, i));
  }
  // A second rename of the files whose names the function changes, when it does so under two or more sleeping
  // inode locks (its caller's included): the lock order is what a second rename could get wrong. Spinlocks and
  // mutexes are no reason for a rename.
  const renamed = [...w.changed].filter(([i, what]) => what === 'names' && !w.inodes[i].dir).map(([i]) => i);
  const sleeping = locksAtChange(w, fn, renamed);
  if (sleeping.length >= 2 && renamed.length) out.push(secondRename(w, renamed, sleeping));
  return out.slice(0, 3);
}

/**
 * The sleeping inode locks the function holds, in the order it took them, where it first changes the names of one of
 * `files` (following its instructions from the start; the first way of each choice first). Its lock order there is
 * the one a second rename must agree with: the kernel orders them by ancestry and address, which the model lacks.
 */
function locksAtChange(w: World, fn: ThreadProgram, files: number[]): number[] {
  const seen = new Set<number>();
  const stack: { pc: number; held: number[] }[] = [{ pc: 0, held: [] }];
  while (stack.length) {
    const { pc, held } = stack.pop()!;
    if (seen.has(pc) || pc >= fn.instrs.length) continue;
    seen.add(pc);
    const ins = fn.instrs[pc];
    let now = held;
    if (ins.op === 'lock' && w.locks[ins.lock].kind === 'rwsem')
      now = [...held.filter((l) => l !== ins.lock), ins.lock];
    if (ins.op === 'unlock') now = held.filter((l) => l !== ins.lock);
    const changes = (ins.op === 'mutate' && ins.what === 'names') || (ins.op === 'break' && ins.change === 'names');
    if (changes && files.includes((ins as { inode: number }).inode)) return now;
    for (const n of [...ins.next].reverse()) stack.push({ pc: n, held: now });
  }
  return [];
}

function nfsClient(w: World, inode: number, n: number, options: SimOptions): ThreadProgram {
  const b = new Builder();
  const name = w.inodes[inode].name;
  const rwsem = w.rwsemOf(inode);
  const ok = b.slot('locked', 'ok');
  // generic_add_lease() of the file's kernel: inode_trylock (3.13+), check, insert (re-checked from 4.0), unlock.
  const grant = (): void => {
    b.emit(
      { op: 'leaseCheck', inode, kind: 'deleg', type: 'read', flc: -1, result: 0 },
      'generic_add_lease',
      `${name}: read deleg`,
    );
    b.guard({ slot: 0, form: 'truthy', negated: true }, () => {
      b.emit(
        { op: 'leaseInsert', inode, kind: 'deleg', type: 'read', flc: -1, recheck: options.grantRecheck, result: 0 },
        'locks_insert_lease',
        name,
      );
    });
    if (options.grantTrylock) b.emit({ op: 'unlock', lock: rwsem }, 'inode_unlock', `${name} (generic_add_lease)`);
    b.guard({ slot: 0, form: 'truthy', negated: true }, () => {
      b.emit({ op: 'awaitRecall', inode }, 'await_recall', name);
      b.emit({ op: 'leaseReturn', inode }, 'DELEGRETURN', name);
    });
  };
  if (options.grantTrylock) {
    b.emit({ op: 'trylock', lock: rwsem, shared: false, result: ok }, 'inode_trylock', `${name} (generic_add_lease)`);
    b.guard({ slot: ok, form: 'truthy', negated: false }, grant);
  } else grant();
  return b.thread(n ? `nfs${n + 1}` : 'nfs', `NFS client (read delegation on ${name})`, true);
}

function localOpen(w: World, inode: number): ThreadProgram {
  const b = new Builder();
  const name = w.inodes[inode].name;
  b.emit({ op: 'writeAccess', inode, delta: 1, read: false }, 'get_write_access', name);
  b.emit(
    { op: 'break', inode, kind: 'lease', blocking: true, write: true, out: NO_SLOT, result: 0 },
    'break_lease',
    name,
  );
  b.emit({ op: 'openDone', inode, write: true }, 'do_dentry_open', `${name} (write)`);
  b.emit({ op: 'writeAccess', inode, delta: -1, read: false }, 'fput', name);
  return b.thread('opener', `local open(${name}, O_WRONLY)`, false);
}

/** The 3.13 unlink protocol on `inode`: lock, try_break_deleg, change, unlock, wait. */
function unlinker(w: World, inode: number): ThreadProgram {
  const b = new Builder();
  const name = w.inodes[inode].name;
  const rwsem = w.rwsemOf(inode);
  const di = b.slot('delegated_inode', 'di');
  b.emit({ op: 'lock', lock: rwsem, shared: false }, 'inode_lock', name);
  b.emit(
    { op: 'break', inode, kind: 'deleg', blocking: false, write: true, out: di, result: 0 },
    'try_break_deleg',
    name,
  );
  b.guard({ slot: 0, form: 'truthy', negated: true }, () =>
    b.emit({ op: 'mutate', inode, what: 'names' }, 'vfs_unlink', `${name} names`),
  );
  b.emit({ op: 'unlock', lock: rwsem }, 'inode_unlock', name);
  b.guard({ slot: di, form: 'delegated', negated: false }, () =>
    b.emit({ op: 'waitDeleg', di, result: 0 }, 'break_deleg_wait', 'delegated_inode'),
  );
  return b.thread('unlink', `unlink(${name}) (3.13 protocol)`, false);
}

/** A second rename of the same files, taking the same sleeping inode locks in the function's order (caller's first). */
function secondRename(w: World, files: number[], sleeping: number[]): ThreadProgram {
  const b = new Builder();
  const order = sleeping.map((l) => w.locks[l].inode).filter((i) => i >= 0);
  for (const f of files) if (!order.includes(f)) order.push(f);
  const locks = order.map((i) => w.rwsemOf(i));
  for (const [k, l] of locks.entries())
    b.emit({ op: 'lock', lock: l, shared: false }, 'inode_lock', w.inodes[order[k]].name);
  const di = b.slot('delegated_inode', 'di');
  // vfs_rename(): break the source, then (if that succeeded) the target, then change both.
  const breakFrom = (k: number): void => {
    if (k === files.length) {
      for (const f of files)
        b.emit({ op: 'mutate', inode: f, what: 'names' }, 'vfs_rename', `${w.inodes[f].name} names`);
      return;
    }
    b.emit(
      { op: 'break', inode: files[k], kind: 'deleg', blocking: false, write: true, out: di, result: 0 },
      'try_break_deleg',
      w.inodes[files[k]].name,
    );
    b.guard({ slot: 0, form: 'truthy', negated: true }, () => breakFrom(k + 1));
  };
  breakFrom(0);
  for (const [k, l] of [...locks.entries()].reverse())
    b.emit({ op: 'unlock', lock: l }, 'inode_unlock', w.inodes[order[k]].name);
  b.guard({ slot: di, form: 'delegated', negated: false }, () =>
    b.emit({ op: 'waitDeleg', di, result: 0 }, 'break_deleg_wait', 'delegated_inode'),
  );
  return b.thread('rename2', 'a second rename of the same files', false);
}
