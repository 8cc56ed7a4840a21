/**
 * web-tree-sitter with tree-sitter-c: one wasm instance per `CParser`, bounded in memory and work, and replaced by a
 * new one when it aborts. The host says where the two wasm files are (paths, URLs or bytes) and, where it can, how to
 * load a new copy of web-tree-sitter's JavaScript module; this module has no Node or vscode import.
 *
 * Why a new module copy: web-tree-sitter keeps its wasm instance (and the memory every tree lives in) in module
 * scope, created once by `Parser.init()`. After a wasm abort (the heap ran out of memory mid-parse) every later call
 * on that instance aborts too, and its memory never shrinks; the only way to parse again is another copy of the
 * module, with a fresh instance, while the old one is left to the garbage collector.
 */
import * as Bundled from 'web-tree-sitter';
import type { Tree, Edit, Parser, Language, Range } from 'web-tree-sitter';

export type TreeSitterModule = typeof Bundled;

/** What is used here of the WebAssembly API (the project's lib settings carry no WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
declare const WebAssembly: {
  Memory: new (d: { initial: number; maximum: number }) => WasmMemory;
  RuntimeError: new (message?: string) => Error;
};

export interface WasmSource {
  /** web-tree-sitter's own runtime (web-tree-sitter.wasm): a path/URL, or its bytes. */
  runtime: string | Uint8Array;
  /** The C grammar (tree-sitter-c.wasm): a path/URL, or its bytes. */
  language: string | Uint8Array;
  /**
   * Loads a new copy of web-tree-sitter's JavaScript module (its own module scope, so its own wasm instance). Hosts
   * that can (Node: parse/node-wasm.ts) give it; without it the copy bundled here is used, shared by every parser of
   * the process, and after an abort every later parse fails with a message saying why.
   */
  freshModule?: () => TreeSitterModule;
}

/**
 * The wasm memory one parser may grow to. Kernel C needs about 35 bytes per character (a 4 MB file, the largest
 * accepted, ~150 MB); dense generated token soup needs up to ~280, and such a file stops here, with an error entry,
 * instead of growing the process by gigabytes. Wasm memory is never given back while its instance lives.
 */
export const MAX_PARSER_MEMORY_BYTES = 512 * 1024 * 1024;
/** Emscripten's default initial heap (web-tree-sitter needs about this much to start). */
const INITIAL_MEMORY_BYTES = 32 * 1024 * 1024;
const WASM_PAGE = 65536;

/**
 * The parser's work budget, in progress reports: tree-sitter reports every 100 parser operations, and a parse may
 * make this many reports per KB of text (plus a base for small texts). C parses in a time linear in its length: the
 * densest input measured makes 73 reports per KB (kernel C about 7), so the budget only stops a parse that goes
 * super-linear, and it stops it at the same point on every machine, however loaded.
 */
export const PARSE_REPORTS_PER_KB = 250;
export const PARSE_REPORTS_BASE = 20000;

/** The work budget for a text of `length` characters, in progress reports. */
export function parseReportBudget(length: number): number {
  return PARSE_REPORTS_BASE + Math.ceil((length / 1024) * PARSE_REPORTS_PER_KB);
}

interface Instance {
  mod: TreeSitterModule;
  parser: Parser;
  language: Language;
  memory: WasmMemory;
  /** What the wasm side printed last (emscripten prints the reason of an abort). */
  errors: { last: string };
}

/** The bundled module is initialised once per process (its instance is module state), shared by its parsers. */
let bundled: Promise<{ language: Language; memory: WasmMemory; errors: { last: string } }> | null = null;

function newMemory(): WasmMemory {
  return new WebAssembly.Memory({
    initial: INITIAL_MEMORY_BYTES / WASM_PAGE,
    maximum: MAX_PARSER_MEMORY_BYTES / WASM_PAGE,
  });
}

async function initModule(
  mod: TreeSitterModule,
  wasm: WasmSource,
  memory: WasmMemory,
  errors: { last: string },
): Promise<Language> {
  const runtime = wasm.runtime;
  // printErr: emscripten prints "Aborted()" on stderr before it throws; the error entry says it instead.
  const common = {
    wasmMemory: memory,
    printErr: (s: string) => {
      errors.last = s;
    },
  };
  if (typeof runtime === 'string') {
    await mod.Parser.init({ ...common, locateFile: () => runtime } as object);
  } else {
    // Emscripten accepts the module bytes directly; copy into a standalone ArrayBuffer it can own.
    await mod.Parser.init({ ...common, wasmBinary: runtime.slice().buffer } as object);
  }
  return mod.Language.load(wasm.language);
}

async function loadInstance(wasm: WasmSource): Promise<Instance> {
  let errors = { last: '' };
  let mod: TreeSitterModule;
  let language: Language;
  let memory: WasmMemory;
  if (wasm.freshModule) {
    mod = wasm.freshModule();
    memory = newMemory();
    language = await initModule(mod, wasm, memory, errors);
  } else {
    mod = Bundled;
    if (!bundled) {
      const m = newMemory();
      bundled = initModule(Bundled, wasm, m, errors).then((l) => ({ language: l, memory: m, errors }));
      bundled.catch(() => {
        bundled = null;
      });
    }
    const b = await bundled;
    language = b.language;
    memory = b.memory;
    errors = b.errors;
  }
  const parser = new mod.Parser();
  parser.setLanguage(language);
  return { mod, parser, language, memory, errors };
}

/**
 * The text tree-sitter parses: a lone \r (old Mac line ends) becomes \n, which keeps every offset and makes the
 * grammar end comments, preprocessor lines and macros where GCC and editors end the line (tree-sitter-c ends them
 * at \n only, so a `//` comment swallowed the rest of such a file). Its rows are then the line index's lines.
 */
export function lineEndsForParser(text: string): string {
  return text.includes('\r') ? text.replace(/\r(?!\n)/g, '\n') : text;
}

/** The wasm side aborted or trapped: its instance cannot be used again. */
function isWasmFailure(e: unknown): boolean {
  return typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError;
}

export class CParser {
  private inst: Instance | null;
  private restarting: Promise<void> | null = null;
  /** Why there is no instance (and no new one coming). */
  private broken: string | null = null;
  /** Bumped each time the instance is replaced: trees of an older generation belong to a discarded instance. */
  generation = 0;
  /** Instances replaced after an abort (for tests and logs). */
  restarts = 0;
  private lastLanguage: Language;

  private constructor(
    private readonly wasm: WasmSource,
    inst: Instance,
  ) {
    this.inst = inst;
    this.lastLanguage = inst.language;
  }

  static async create(wasm: WasmSource): Promise<CParser> {
    try {
      return new CParser(wasm, await loadInstance(wasm));
    } catch (e) {
      throw new Error(`cannot load the tree-sitter C parser: ${(e as Error).message}`);
    }
  }

  /** The grammar (its node type names are the same in every instance). */
  get language(): Language {
    return this.inst?.language ?? this.lastLanguage;
  }

  /** Resolves once the parser can parse again after an abort (at once when it can already). */
  async ready(): Promise<void> {
    await this.restarting;
  }

  /** Whether `tree` was made by the current instance (an older one's tree cannot be edited or reused). */
  owns(tree: Tree): boolean {
    return !!this.inst && tree instanceof this.inst.mod.Tree;
  }

  /** Frees a tree of the current instance; a discarded instance's tree is only dropped (its memory goes with it). */
  free(tree: Tree | null | undefined): void {
    if (!tree || !this.owns(tree)) return;
    try {
      tree.delete();
    } catch (e) {
      this.failed(e);
    }
  }

  /**
   * Parses `text`; with `oldTree` (already edited with `Tree.edit`) the parse is incremental. The parse stops with a
   * `ParseBudgetError` when it exceeds its work budget (`maxReports` progress reports, by default
   * `parseReportBudget(text.length)`), or `budgetMs` of wall time when given. When the wasm side aborts (out of
   * memory), a `ParserAbortedError` says so, and the next parse (after `ready()`) runs on a new instance.
   */
  parse(
    text: string,
    oldTree?: Tree | null,
    budgetMs?: number,
    maxReports = parseReportBudget(text.length),
    includedRanges?: Range[],
  ): Tree {
    const inst = this.inst;
    if (!inst) {
      throw new ParserAbortedError(
        this.broken ?? 'the parser is being restarted after an earlier file made it abort; try again',
      );
    }
    let reports = 0;
    const deadline = budgetMs !== undefined ? Date.now() + budgetMs : Infinity;
    let overTime = false;
    const progressCallback = () => {
      if (++reports > maxReports) return true;
      if (deadline !== Infinity && Date.now() > deadline) overTime = true;
      return overTime;
    };
    let tree: Tree | null;
    try {
      tree = inst.parser.parse(
        lineEndsForParser(text),
        oldTree && this.owns(oldTree) ? oldTree : null,
        includedRanges ? { progressCallback, includedRanges } : { progressCallback },
      );
    } catch (e) {
      throw this.failed(e) ?? e;
    }
    if (!tree) {
      try {
        inst.parser.reset();
      } catch (e) {
        this.failed(e);
      }
      throw new ParseBudgetError(
        overTime
          ? `parsing took longer than ${budgetMs} ms`
          : `the parser's work exceeded its budget for a text of this length (${maxReports.toLocaleString('en-US')} × 100 operations); ` +
              'C parses in a time linear in its length, well within it',
      );
    }
    return tree;
  }

  /**
   * After an exception from the wasm side: discards the instance (its trees are only dropped from now on) and starts
   * loading a new one. Returns the error to report, or null when `e` did not come from the wasm side.
   */
  failed(e: unknown): ParserAbortedError | null {
    const inst = this.inst;
    if (!inst || !isWasmFailure(e)) return null;
    // An abort with the heap past half its limit is a failed allocation (tree-sitter aborts when malloc fails).
    const oom = inst.memory.buffer.byteLength * 2 > MAX_PARSER_MEMORY_BYTES;
    const what = oom
      ? `the parser ran out of memory (its limit is ${MAX_PARSER_MEMORY_BYTES / 1048576} MB)`
      : `the parser aborted (${(e as Error).message.split('.')[0] || inst.errors.last || 'wasm trap'})`;
    this.inst = null;
    this.generation++;
    try {
      inst.parser.delete();
    } catch {
      /* the instance is gone either way */
    }
    if (this.wasm.freshModule) {
      this.restarting = loadInstance(this.wasm).then(
        (next) => {
          this.inst = next;
          this.lastLanguage = next.language;
          this.restarts++;
          this.restarting = null;
        },
        (err: Error) => {
          this.broken = `the parser could not be loaded again after ${what}: ${err.message}`;
          this.restarting = null;
        },
      );
      return new ParserAbortedError(`${what}; a new parser was started for what comes next`);
    }
    this.broken = `the parser stopped after ${what} on an earlier file, and this host cannot start a new one: reload to parse again`;
    return new ParserAbortedError(`${what}, and this host cannot start a new one: reload to parse again`);
  }

  dispose(): void {
    try {
      this.inst?.parser.delete();
    } catch {
      /* an aborted instance */
    }
    this.inst = null;
    this.broken = 'the parser was disposed';
  }
}

export class ParseBudgetError extends Error {}
/** The wasm side of the parser aborted (out of memory); the message says whether a new parser took its place. */
export class ParserAbortedError extends Error {}

export type { Tree, Edit };
