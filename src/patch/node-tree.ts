/** The base tree as a directory on disk (the CLI, tests, the benchmark). Read-only. */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { SOURCE_FILE, type TreeReader } from './tree';

export class DirectoryTree implements TreeReader {
  readonly root: string;

  /** `maxFiles` bounds the listing used to follow callers and callees (a full kernel tree has ~60,000 C files). */
  constructor(root: string, private readonly maxFiles = 20000) {
    this.root = resolve(root);
  }

  get label(): string {
    return this.root;
  }

  async read(path: string): Promise<string | null> {
    const full = resolve(this.root, path);
    if (full !== this.root && !full.startsWith(this.root + sep)) return null;
    try {
      const buf = await readFile(full);
      let text = new TextDecoder('utf-8').decode(buf);
      if (text.charCodeAt(0) === 0xfeff) text = ' ' + text.slice(1);
      return text;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return null;
      throw new Error(`cannot read ${path} in ${this.root}: ${code ?? (e as Error).message}`);
    }
  }

  async listSources(): Promise<{ paths: string[]; truncated: boolean }> {
    const paths: string[] = [];
    let truncated = false;
    const walk = async (rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(join(this.root, rel), { withFileTypes: true });
      } catch {
        return;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of entries) {
        if (truncated) return;
        if (e.name.startsWith('.') || e.name === 'node_modules') continue;
        const p = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) await walk(p);
        else if (e.isFile() && SOURCE_FILE.test(e.name)) {
          if (paths.length >= this.maxFiles) {
            truncated = true;
            return;
          }
          paths.push(p);
        }
      }
    };
    await walk('');
    return { paths, truncated };
  }
}

/** True when `dir` exists and is a directory. */
export async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
