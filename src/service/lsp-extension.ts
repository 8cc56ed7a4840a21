/**
 * What the language server (lsp-server.ts) says to a client that asks for more than standard LSP: the VS Code
 * extension, which declares `experimental.vfslock` in its client capabilities. Other editors never see these
 * notifications; the requests are there for any client that wants them.
 */
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';
import type { CatalogueData } from '../core/catalogue/catalogue';
import type { EventInfo, FileResult } from '../core/engine';
import type { IndexEvent } from './session';
import type { FunctionAtParams } from './protocol';

/** The client capability (under `experimental`) that turns the notifications below on. */
export const CLIENT_CAPABILITY = 'vfslock';

/** Why a document was analysed: opened, edited, settings or catalogue changed, asked for, or its tree's index is ready. */
export type AnalysisTrigger = 'open' | 'edit' | 'settings' | 'command' | 'index';

/** One published analysis of a document, without its findings (those are its diagnostics). */
export interface AnalyzedParams {
  uri: string;
  version: number;
  /** The analysis itself (parse and re-analysis of changed functions), milliseconds. */
  analysisMs: number;
  /** From the first change not yet reflected to the diagnostics being published (includes the debounce). */
  latencyMs: number | null;
  findings: number;
  /** Findings that are errors or warnings. */
  shown: number;
  era: FileResult['era'];
  eraSource: FileResult['eraSource'];
  analyzedFunctions: number;
  functions: number;
  error?: string;
  trigger: AnalysisTrigger;
}

export const AnalyzedNotification = new NotificationType<AnalyzedParams>('vfslock/analyzed');

/** A kernel tree's summary index started building, is ready (its documents are re-analysed), or failed. */
export const IndexNotification = new NotificationType<IndexEvent>('vfslock/index');

/**
 * A rule catalogue the client has read and validated (`key` names it; empty `catalogues`: none), used instead of the
 * `rulesFile` setting, which the server then no longer reads itself. Every document is analysed again.
 */
export const CatalogueRequest = new RequestType<{ key: string; catalogues: CatalogueData[] }, null, void>(
  'vfslock/catalogue',
);

/**
 * A rule catalogue registered under `key` without becoming the default: a folder's own rules file in a multi-root
 * window. A document uses it when its settings (`workspace/configuration` for its scope) carry `vfslockCatalogue:
 * key`. A notification, handled on arrival: a client can send it just before answering the server's request for the
 * settings that name it.
 */
export const RegisterCatalogueNotification = new NotificationType<{ key: string; catalogues: CatalogueData[] }>(
  'vfslock/registerCatalogue',
);

/** The key in a document's settings (its `workspace/configuration` answer) naming its registered catalogue. */
export const CATALOGUE_SETTING = 'vfslockCatalogue';

/**
 * Analyses a document now (skipping the debounce) and publishes its diagnostics; `force`: also one the settings do
 * not select (the user asked for it), until it is closed. Null when the document is not open or cannot be analysed.
 */
export const CheckNowRequest = new RequestType<{ uri: string; force: boolean }, AnalyzedParams | null, void>(
  'vfslock/checkNow',
);

/** The lock events at an offset of a document's current text, and the function around it. */
export const EventsAtRequest = new RequestType<
  { uri: string; offset: number },
  { version: number; events: EventInfo[]; function: string | null } | null,
  void
>('vfslock/eventsAt');

/** The function at an offset (the simulation's pick list), from the open document or a parse of the given text. */
export const FunctionAtRequest = new RequestType<
  FunctionAtParams,
  { name: string; start: number; end: number } | null,
  void
>('vfslock/functionAt');

/** Summaries across files (the tree's index) on or off; the documents whose results change are analysed again. */
export const SetIndexingRequest = new RequestType<{ enabled: boolean }, null, void>('vfslock/setIndexing');

/** What the server says about itself in `initialize`'s result, under `capabilities.experimental.vfslock`. */
export interface ServerExtras {
  /** How long loading the parser took, milliseconds. */
  parserLoadMs: number | null;
}
