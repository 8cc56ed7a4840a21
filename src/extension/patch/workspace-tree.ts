/**
 * A base tree read through vscode.workspace.fs (works in virtual workspaces and the browser host). The review runs
 * in the analysis worker, which asks for files through `handlers()`: this side only reads (bytes as stored; the
 * worker decodes them).
 */
import * as vscode from 'vscode';
import { SOURCE_FILE, type TreeReader } from '../../patch/tree';
import type { HostHandlers } from '../../service/protocol';

export class WorkspaceTree implements TreeReader {
  constructor(
    readonly root: vscode.Uri,
    private readonly maxFiles = 20000,
    private readonly overrides: ReadonlyMap<string, string | null> = new Map(),
  ) {}

  get label(): string {
    const folder = vscode.workspace.getWorkspaceFolder(this.root);
    if (folder && folder.uri.toString() === this.root.toString()) return folder.name;
    return vscode.workspace.asRelativePath(this.root, true) || this.root.toString(true);
  }

  /** The same tree seen with some paths replaced (the working tree review reads changed files as they are at HEAD). */
  withOverrides(overrides: ReadonlyMap<string, string | null>): WorkspaceTree {
    return new WorkspaceTree(this.root, this.maxFiles, overrides);
  }

  async read(path: string): Promise<string | null> {
    const r = await this.readRaw(path);
    return r === null ? null : 'text' in r ? r.text : new TextDecoder('utf-8').decode(r.bytes);
  }

  /** A file as the worker wants it: its bytes, or the text where only text exists; null when there is none. */
  async readRaw(path: string): Promise<{ bytes: Uint8Array } | { text: string } | null> {
    if (this.overrides.has(path)) {
      const text = this.overrides.get(path)!;
      return text === null ? null : { text };
    }
    if (path.split('/').some((p) => p === '..')) return null;
    const uri = vscode.Uri.joinPath(this.root, ...path.split('/'));
    // An open editor's unsaved text is what the user sees: review against that. A saved one may lag behind the disk
    // (git checkouts), so read the disk then.
    const key = uri.toString();
    const open = vscode.workspace.textDocuments.find((d) => d.isDirty && d.uri.toString() === key);
    if (open) return { text: open.getText() };
    try {
      return { bytes: await vscode.workspace.fs.readFile(uri) };
    } catch (e) {
      if (
        e instanceof vscode.FileSystemError &&
        (e.code === 'FileNotFound' || e.code === 'FileIsADirectory' || e.code === 'EntryNotFound')
      )
        return null;
      throw e;
    }
  }

  /** The worker's callbacks for this tree. */
  handlers(): HostHandlers {
    return {
      'tree.read': (p) => this.readRaw(p.path),
      'tree.isDirectory': (p) => this.isDirectory(p.path),
      'tree.listSources': () => this.listSources(),
    };
  }

  /** A new file cannot be created where the tree has a directory (git apply refuses it too). */
  async isDirectory(path: string): Promise<boolean> {
    if (this.overrides.has(path) || path.split('/').some((p) => p === '..')) return false;
    try {
      return (
        ((await vscode.workspace.fs.stat(vscode.Uri.joinPath(this.root, ...path.split('/')))).type &
          vscode.FileType.Directory) !==
        0
      );
    } catch {
      return false;
    }
  }

  async listSources(): Promise<{ paths: string[]; truncated: boolean }> {
    const prefix = this.root.path.endsWith('/') ? this.root.path : this.root.path + '/';
    const rel = (u: vscode.Uri) => (u.path.startsWith(prefix) ? u.path.slice(prefix.length) : null);
    try {
      const found = await vscode.workspace.findFiles(
        new vscode.RelativePattern(this.root, '**/*.{c,h}'),
        '**/node_modules/**',
        this.maxFiles + 1,
      );
      if (found.length) {
        const paths = found
          .map(rel)
          .filter((p): p is string => p !== null)
          .sort();
        return { paths: paths.slice(0, this.maxFiles), truncated: paths.length > this.maxFiles };
      }
    } catch {
      /* no search provider (some virtual file systems): walk the directories instead */
    }
    const paths: string[] = [];
    let truncated = false;
    const walk = async (dir: vscode.Uri, relDir: string): Promise<void> => {
      let entries: [string, vscode.FileType][];
      try {
        entries = await vscode.workspace.fs.readDirectory(dir);
      } catch {
        return;
      }
      entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      for (const [name, type] of entries) {
        if (truncated || name.startsWith('.') || name === 'node_modules') continue;
        const p = relDir ? `${relDir}/${name}` : name;
        if (type & vscode.FileType.Directory) await walk(vscode.Uri.joinPath(dir, name), p);
        else if (SOURCE_FILE.test(name)) {
          if (paths.length >= this.maxFiles) truncated = true;
          else paths.push(p);
        }
      }
    };
    await walk(this.root, '');
    return { paths, truncated };
  }
}
