/**
 * Messages between the extension host and the race-simulation webview, in one place, with the checks each side
 * runs on what it receives (a webview message is untrusted input to the host, and the host's to the webview is
 * checked too so a bad result fails loudly instead of rendering half a trace).
 */
import type { SimulationResult } from '../sim/run';

export const VIEW_TYPE = 'vfsLockReview.simulation';

/** Host → webview. */
export type HostMessage =
  /** `id`: names this showing; the host sends it again when the page reloads, and the page keeps its step then. */
  | { type: 'show'; id?: string; result: SimulationResult; startStep?: number; note?: string }
  | { type: 'error'; message: string };

/** Webview → host. */
export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'reveal'; file: string; line: number; column?: number }
  | { type: 'export'; format: 'text' | 'svg'; content: string; suggestedName: string };

/** What the webview keeps with getState/setState (and the serializer restores). */
export interface PersistedState {
  result: SimulationResult;
  step: number;
  hideUnchanged: boolean;
  showLocal: boolean;
  note?: string;
  /** The `id` of the show message this state came from. */
  shownId?: string;
}

type Rec = Record<string, unknown>;

const isRec = (x: unknown): x is Rec => typeof x === 'object' && x !== null && !Array.isArray(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isInt = (x: unknown): x is number => Number.isInteger(x);
const optional = (x: unknown, check: (v: unknown) => boolean) => x === undefined || check(x);
const arrayOf = (x: unknown, check: (v: unknown) => boolean) => Array.isArray(x) && x.every(check);

function isStep(x: unknown): boolean {
  return (
    isRec(x) &&
    isInt(x.index) &&
    isInt(x.thread) &&
    isStr(x.threadName) &&
    isStr(x.action) &&
    isStr(x.detail) &&
    optional(x.file, isStr) &&
    optional(x.line, isInt) &&
    isNum(x.atMs) &&
    arrayOf(x.held, isStr) &&
    typeof x.sleeps === 'boolean' &&
    typeof x.local === 'boolean' &&
    arrayOf(x.tags, isStr)
  );
}

function isInstr(x: unknown): boolean {
  return isRec(x) && isStr(x.op) && arrayOf(x.next, isInt) && isStr(x.action) && isStr(x.detail);
}

function isThread(x: unknown): boolean {
  return (
    isRec(x) &&
    isStr(x.name) &&
    isStr(x.label) &&
    typeof x.actor === 'boolean' &&
    arrayOf(x.instrs, isInstr) &&
    arrayOf(x.vars, (v) => isRec(v) && isStr(v.name) && isInt(v.initial)) &&
    arrayOf(x.entryLocks, isInt)
  );
}

function isProgram(x: unknown): boolean {
  return (
    isRec(x) &&
    isStr(x.title) &&
    arrayOf(x.threads, isThread) &&
    arrayOf(x.invariants, isStr) &&
    isRec(x.options) &&
    arrayOf(
      x.inodes,
      (i) =>
        isRec(i) &&
        isStr(i.name) &&
        typeof i.dir === 'boolean' &&
        arrayOf(i.names, isStr) &&
        isInt(i.refcount) &&
        Array.isArray(i.leases),
    ) &&
    arrayOf(x.locks, (l) => isRec(l) && isStr(l.name) && isStr(l.kind) && isStr(l.role) && isInt(l.inode))
  );
}

function isCacheRow(x: unknown): boolean {
  return (
    isRec(x) &&
    isNum(x.extraBytes) &&
    isNum(x.capacity) &&
    isNum(x.hitRate) &&
    isNum(x.objectBytes) &&
    isNum(x.perSlab) &&
    isNum(x.evictions)
  );
}

export function isSimulationResult(x: unknown): x is SimulationResult {
  return (
    isRec(x) &&
    x.version === 1 &&
    isStr(x.scenario) &&
    isStr(x.title) &&
    isStr(x.description) &&
    isStr(x.kernel) &&
    (x.verdict === 'safe' || x.verdict === 'violation') &&
    optional(x.invariant, isStr) &&
    optional(x.message, isStr) &&
    isInt(x.states) &&
    isInt(x.transitions) &&
    isNum(x.ms) &&
    isStr(x.reduction) &&
    typeof x.complete === 'boolean' &&
    isStr(x.traceKind) &&
    arrayOf(x.trace, isStep) &&
    arrayOf(x.schedule, (t) => isRec(t) && isInt(t.thread) && isInt(t.choice)) &&
    optional(x.conflict, (c) => arrayOf(c, isInt) && (c as unknown[]).length === 2) &&
    optional(x.cycleStart, isInt) &&
    arrayOf(x.others, (o) => isRec(o) && isStr(o.invariant) && isStr(o.message)) &&
    optional(x.cache, (c) => arrayOf(c, isCacheRow)) &&
    optional(x.program, isProgram)
  );
}

export function isHostMessage(x: unknown): x is HostMessage {
  if (!isRec(x)) return false;
  if (x.type === 'show')
    return (
      isSimulationResult(x.result) && optional(x.id, isStr) && optional(x.startStep, isInt) && optional(x.note, isStr)
    );
  if (x.type === 'error') return isStr(x.message);
  return false;
}

/**
 * The shape of a webview message. The host does not stop at this: src/extension/pure/webview-messages.ts also
 * checks each request against the trace it sent (which files and lines may be revealed, which exports written).
 */
export function isWebviewMessage(x: unknown): x is WebviewMessage {
  if (!isRec(x)) return false;
  switch (x.type) {
    case 'ready':
      return true;
    case 'reveal':
      return isStr(x.file) && x.file.length > 0 && isInt(x.line) && x.line >= 1 && optional(x.column, isInt);
    case 'export':
      return (
        (x.format === 'text' || x.format === 'svg') &&
        isStr(x.content) &&
        isStr(x.suggestedName) &&
        x.content.length < 16 * 1024 * 1024
      );
    default:
      return false;
  }
}

export function isPersistedState(x: unknown): x is PersistedState {
  return (
    isRec(x) &&
    isSimulationResult(x.result) &&
    isInt(x.step) &&
    typeof x.hideUnchanged === 'boolean' &&
    typeof x.showLocal === 'boolean' &&
    optional(x.note, isStr) &&
    optional(x.shownId, isStr)
  );
}
