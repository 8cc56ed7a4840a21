/**
 * Extension host ↔ analysis session messages, as one typed map (the same calls whether the session runs in a
 * worker thread or inline in the browser extension host).
 */
import type { CheckOptions, EventInfo, FileResult } from '../core/engine';
import type { CatalogueData } from '../core/catalogue/catalogue';
import type { CoreEdit } from './lines';
import type { Fix } from '../core/fixes/writer';
import type { AnalysisResult, CheckParams, CheckSummary, FindingRef, IndexEvent, OpenParams, Session } from './session';
import type { ExploreLimits, Outcome, SimulationRequest } from '../sim/simulate';
import type { HostChannel, HostMethod, HostMethods, ReviewOutcome, ReviewParams } from './review';
import type { TextChange } from '../patch/synthesize';
import type { IndexData } from '../core/index/summary-index';
import type { Task, TaskOutcome } from '../core/index/tree-check';
import { diffRequest } from './review';

export type { HostChannel, HostMethod, HostMethods, ReviewOutcome, ReviewParams };

export interface Methods {
  configure: { params: { key: string; catalogues: CatalogueData[] }; result: null };
  open: { params: OpenParams; result: null };
  edit: { params: { uri: string; version: number; edits: CoreEdit[] }; result: boolean };
  replace: { params: { uri: string; version: number; text: string }; result: boolean };
  setOptions: { params: { uri: string; options: CheckOptions; catalogue: string }; result: null };
  close: { params: { uri: string }; result: null };
  result: { params: { uri: string }; result: AnalysisResult | null };
  eventsAt: { params: { uri: string; offset: number }; result: { version: number; events: EventInfo[] } | null };
  fixes: { params: { uri: string; ref: FindingRef }; result: { version: number; fixes: Fix[] } | null };
  check: { params: CheckParams; result: CheckSummary };
  /** Summaries across files on or off (worker only); answers the documents whose results may have changed. */
  setIndexing: { params: { enabled: boolean }; result: string[] };
  /**
   * A race simulation, run in slices so the worker still answers (and sees a cancellation) while it explores.
   * Cancelled, it answers with the partial result (its `bound` says "cancelled").
   */
  simulate: { params: { request: SimulationRequest; limits?: ExploreLimits }; result: Outcome };
  /**
   * The function at an offset (simulation's pick list): from the open document when the session has this version
   * of it, else from a parse of `text` (no analysis). Null when the offset is in no function.
   */
  functionAt: { params: FunctionAtParams; result: { name: string; start: number; end: number } | null };
  /**
   * Patch review: the inputs parsed, applied to the host's tree and analysed here; the tree is read through the
   * host's `tree.*` callbacks. Cancelled, it stops before its next analysis step.
   */
  review: { params: ReviewParams; result: ReviewOutcome };
  /** A git-style unified diff of before/after texts (the working tree review's synthesized patch). */
  diff: { params: { changes: TextChange[] }; result: string };
}

/**
 * What a pool of Node analysis threads is asked (`vfslock check --jobs N`, and the summary index the editor and
 * `vfslock lsp` build in the background): the same threads, protocol and session as the editor's, with these methods
 * added where files can be read by path (served by cli/pool-methods.ts, never in the browser).
 */
export interface PoolMethods {
  /** The catalogues and options of every later request (`withFixes`: a checked file carries verified fixes). */
  poolInit: {
    params: { catalogues: CatalogueData[]; options: CheckOptions; withFixes?: boolean };
    result: null;
  };
  /** One file, read on this thread and checked on its own (no summaries across files). */
  checkFile: { params: { file: string }; result: FileOutcome };
  /** A task of a tree check (check a file, or summarise a header) against the index last given. */
  runTask: { params: { task: Task }; result: TaskOutcome };
  /** The summary index of a tree check's round. */
  setTreeIndex: { params: { data: IndexData }; result: null };
}

/** One file's check: its result (with fixes if asked), or why there is none. */
export type FileOutcome = { result: FileResult } | { error: string };

export interface FunctionAtParams {
  uri: string;
  version: number;
  file: string;
  text: string;
  offset: number;
}

/** Methods answered asynchronously (the others are answered in order, synchronously). */
export type AsyncMethod = 'simulate' | 'review';
/** What `dispatch` returns: the result, or a promise of it for an asynchronous method. */
export type Reply<M extends Method> = M extends AsyncMethod ? Promise<Result<M>> : Result<M>;

/** Every method of the protocol: the session's, and the pool's (Node threads only). */
type AllMethods = Methods & PoolMethods;
export type Method = keyof AllMethods;
export type SessionMethod = keyof Methods;
export type PoolMethod = keyof PoolMethods;
export type Params<M extends Method> = AllMethods[M]['params'];
export type Result<M extends Method> = AllMethods[M]['result'];

export interface RequestMessage<M extends Method = Method> {
  id: number;
  method: M;
  params: Params<M>;
}

/** Host → worker: stop the request with this id (an asynchronous one; the others are over when it arrives). */
export interface CancelMessage {
  cancel: number;
}

/** Worker → host: a callback made while serving request `request` (answered with a CallbackReply of the same id). */
export interface CallbackMessage<M extends HostMethod = HostMethod> {
  callback: number;
  request: number;
  method: M;
  params: HostMethods[M]['params'];
}

/** Host → worker: the answer to a callback; an error's message starts with TREE_ERROR for a file the tree refuses. */
export type CallbackReply =
  { callbackReply: number; ok: true; result: unknown } | { callbackReply: number; ok: false; error: string };

/** Worker → host: a progress message of request `progress`. */
export interface ProgressMessage {
  progress: number;
  message: string;
}

/** Everything the worker posts. */
export type WorkerMessage = ReadyMessage | ResponseMessage | CallbackMessage | ProgressMessage | EventMessage;
/** Everything the host posts. */
export type HostMessage = RequestMessage | CancelMessage | CallbackReply;

/** What the host answers callbacks with, per method (a request without callbacks passes none). */
export type HostHandlers = {
  [M in HostMethod]?: (params: HostMethods[M]['params']) => Promise<HostMethods[M]['result']>;
} & {
  progress?: (message: string) => void;
};

/** The worker's channel for callbacks made directly to handlers in the same thread (the browser host's inline session). */
export function directChannel(handlers: HostHandlers = {}): HostChannel {
  return {
    call(method, params) {
      const h = handlers[method] as ((p: typeof params) => Promise<never>) | undefined;
      if (!h) return Promise.reject(new Error(`the host does not answer ${method}`));
      return h(params);
    },
    progress(message) {
      handlers.progress?.(message);
    },
  };
}

/** A request's context in the worker: its cancellation, and its callbacks to the host. */
export interface CallContext {
  signal?: AbortSignal;
  host?: HostChannel;
}

export type ResponseMessage = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/** Worker → host, unasked: a kernel tree's summary index started building, is ready, or failed. */
export interface EventMessage {
  event: IndexEvent;
}

/** Startup message from a worker: ready (with how long loading the parser took) or failed. */
export type ReadyMessage = { ready: true; loadMs: number } | { ready: false; error: string };

/** What `readyMessage` needs of a Node worker thread (no import of worker_threads: the browser bundles share this). */
export interface ThreadEvents {
  on(event: 'message', listener: (m: unknown) => void): unknown;
  off(event: 'message', listener: (m: unknown) => void): unknown;
  once(event: 'error', listener: (e: Error) => void): unknown;
  once(event: 'exit', listener: (code: number) => void): unknown;
}

/** A Node analysis thread's ready message, or why it stopped before sending one (an error, or its exit). */
export function readyMessage(worker: ThreadEvents): Promise<ReadyMessage> {
  return new Promise<ReadyMessage>((resolve) => {
    const onMessage = (m: unknown) => {
      if (typeof m !== 'object' || m === null || !('ready' in m)) return;
      worker.off('message', onMessage);
      resolve(m as ReadyMessage);
    };
    worker.on('message', onMessage);
    worker.once('error', (e) => resolve({ ready: false, error: e.message }));
    worker.once('exit', (code) => resolve({ ready: false, error: `exit code ${code}` }));
  });
}

type Handlers = { [M in SessionMethod]: (s: Session, p: Params<M>, ctx: CallContext) => Reply<M> };
/** Handlers of the pool's methods, given to `dispatch` by a thread that serves them. */
export type PoolHandlers = { [M in PoolMethod]: (s: Session, p: Params<M>) => Result<M> };

const handlers: Handlers = {
  configure: (s, p) => (s.configure(p.key, p.catalogues), null),
  open: (s, p) => (s.open(p), null),
  edit: (s, p) => s.edit(p.uri, p.version, p.edits),
  replace: (s, p) => s.replace(p.uri, p.version, p.text),
  setOptions: (s, p) => (s.setOptions(p.uri, p.options, p.catalogue), null),
  close: (s, p) => (s.close(p.uri), null),
  result: (s, p) => s.result(p.uri),
  eventsAt: (s, p) => s.eventsAt(p.uri, p.offset),
  fixes: (s, p) => s.fixes(p.uri, p.ref),
  check: (s, p) => s.check(p),
  setIndexing: (s, p) => s.setIndexing(p.enabled),
  simulate: (s, p, ctx) => s.simulate(p.request, p.limits, ctx.signal),
  functionAt: (s, p) => s.functionAt(p.uri, p.version, p.file, p.text, p.offset),
  review: (s, p, ctx) => s.review(p, ctx.host ?? directChannel(), ctx.signal),
  diff: (_s, p) => diffRequest(p.changes),
};

/**
 * Answers a request; `signal` cancels an asynchronous one, `host` carries its callbacks to the host; `pool`: the
 * pool's methods, where this thread serves them.
 */
export function dispatch<M extends Method>(
  s: Session,
  method: M,
  params: Params<M>,
  signal?: AbortSignal,
  host?: HostChannel,
  pool?: PoolHandlers,
): Reply<M> {
  const own = Object.prototype.hasOwnProperty;
  const table: object | undefined = own.call(handlers, method)
    ? handlers
    : pool && own.call(pool, method)
      ? pool
      : undefined;
  if (!table) throw new Error(`unknown method ${String(method)}`);
  const h = (table as Record<string, (s: Session, p: Params<M>, ctx: CallContext) => Reply<M>>)[method];
  return h(s, params, { signal, host });
}
