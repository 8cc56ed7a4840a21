/**
 * web-tree-sitter with tree-sitter-c, loaded once per process (or worker, or browser tab).
 * The host says where the two wasm files are (paths, URLs or bytes); this module has no Node or vscode import.
 */
import { Parser, Language, type Tree, type Edit } from 'web-tree-sitter';

export interface WasmSource {
  /** web-tree-sitter's own runtime (web-tree-sitter.wasm): a path/URL, or its bytes. */
  runtime: string | Uint8Array;
  /** The C grammar (tree-sitter-c.wasm): a path/URL, or its bytes. */
  language: string | Uint8Array;
}

let loading: Promise<Language> | null = null;

async function loadLanguage(wasm: WasmSource): Promise<Language> {
  const runtime = wasm.runtime;
  if (typeof runtime === 'string') {
    await Parser.init({ locateFile: () => runtime });
  } else {
    // Emscripten accepts the module bytes directly; copy into a standalone ArrayBuffer it can own.
    await Parser.init({ wasmBinary: runtime.slice().buffer } as object);
  }
  return Language.load(wasm.language);
}

export class CParser {
  private constructor(private readonly parser: Parser, readonly language: Language) {}

  static async create(wasm: WasmSource): Promise<CParser> {
    if (!loading) loading = loadLanguage(wasm);
    let language: Language;
    try {
      language = await loading;
    } catch (e) {
      loading = null;
      throw new Error(`cannot load the tree-sitter C parser: ${(e as Error).message}`);
    }
    const parser = new Parser();
    parser.setLanguage(language);
    return new CParser(parser, language);
  }

  /** Parses `text`; with `oldTree` (already edited with `Tree.edit`) the parse is incremental. */
  parse(text: string, oldTree?: Tree | null, budgetMs?: number): Tree {
    let options: { progressCallback?: () => boolean } | undefined;
    if (budgetMs !== undefined) {
      const deadline = Date.now() + budgetMs;
      options = { progressCallback: () => Date.now() > deadline };
    }
    const tree = this.parser.parse(text, oldTree ?? null, options as never);
    if (!tree) {
      this.parser.reset();
      throw new ParseBudgetError(`parsing took longer than ${budgetMs} ms`);
    }
    return tree;
  }

  dispose(): void {
    this.parser.delete();
  }
}

export class ParseBudgetError extends Error {}

export type { Tree, Edit };
