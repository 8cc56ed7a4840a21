/**
 * Extension host ↔ analysis session messages, as one typed map (the same calls whether the session runs in a
 * worker thread or inline in the browser extension host).
 */
import type { CheckOptions, EventInfo } from '../../core/engine';
import type { CatalogueData } from '../../core/catalogue/catalogue';
import type { CoreEdit } from './lines';
import type { Fix } from './fixes';
import type { AnalysisResult, CheckParams, CheckSummary, FindingRef, IndexEvent, OpenParams, Session } from './session';
import type { ExploreLimits, Outcome, SimulationRequest } from '../../sim/simulate';

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
}

/** Methods answered asynchronously (the others are answered in order, synchronously). */
export type AsyncMethod = 'simulate';
/** What `dispatch` returns: the result, or a promise of it for an asynchronous method. */
export type Reply<M extends Method> = M extends AsyncMethod ? Promise<Result<M>> : Result<M>;

export type Method = keyof Methods;
export type Params<M extends Method> = Methods[M]['params'];
export type Result<M extends Method> = Methods[M]['result'];

export interface RequestMessage<M extends Method = Method> {
  id: number;
  method: M;
  params: Params<M>;
}

/** Host → worker: stop the request with this id (an asynchronous one; the others are over when it arrives). */
export interface CancelMessage {
  cancel: number;
}

export type ResponseMessage = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/** Worker → host, unasked: a kernel tree's summary index started building, is ready, or failed. */
export interface EventMessage {
  event: IndexEvent;
}

/** Startup message from a worker: ready (with how long loading the parser took) or failed. */
export type ReadyMessage = { ready: true; loadMs: number } | { ready: false; error: string };

type Handlers = { [M in Method]: (s: Session, p: Params<M>, signal?: AbortSignal) => Reply<M> };

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
  simulate: (s, p, signal) => s.simulate(p.request, p.limits, signal),
};

export function dispatch<M extends Method>(s: Session, method: M, params: Params<M>, signal?: AbortSignal): Reply<M> {
  const h = handlers[method] as (s: Session, p: Params<M>, signal?: AbortSignal) => Reply<M>;
  if (!h) throw new Error(`unknown method ${String(method)}`);
  return h(s, params, signal);
}
