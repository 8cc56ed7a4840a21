/**
 * Patch review as a request of the analysis worker (no `vscode`): the patch inputs are parsed, applied and analysed
 * here, off the editor's thread; the base tree's files are asked of the host through callbacks (`tree.read`,
 * `tree.isDirectory`, `tree.listSources`), which only do file I/O there (vscode.workspace.fs, open editors' unsaved
 * text). The answer holds the review and, per input, the diagnostics the editor shows on the patch's lines.
 */
import type { Analyzer } from '../core/engine';
import { readPatchInput, PatchInputError, type PatchMail, type SkippedMail } from '../patch/mbox';
import { reviewSeries, type SeriesReview } from '../patch/review';
import { patchDiagnostics, type PatchDiagnostic } from '../patch/diagnostics';
import { TreeError, type TreeReader } from '../patch/tree';
import { unifiedDiff, type TextChange } from '../patch/synthesize';

/** What the worker may ask of the host while it serves a request (worker → host callbacks). */
export interface HostMethods {
  /**
   * A tree-relative file: its bytes as stored (decoded in the worker), or its text where the host has it as text
   * (an editor's unsaved changes, the working tree review's HEAD versions); null when there is no such file.
   */
  'tree.read': { params: { path: string }; result: { bytes: Uint8Array } | { text: string } | null };
  'tree.isDirectory': { params: { path: string }; result: boolean };
  'tree.listSources': { params: Record<string, never>; result: { paths: string[]; truncated: boolean } | null };
}
export type HostMethod = keyof HostMethods;

/** The worker's side of the callback channel, for one request. */
export interface HostChannel {
  call<M extends HostMethod>(method: M, params: HostMethods[M]['params']): Promise<HostMethods[M]['result']>;
  /** A progress message for the user (no answer). */
  progress(message: string): void;
}

/** A host's answer that the file exists but is not read (kept apart so the review notes it and goes on). */
export const TREE_ERROR = 'TreeError: ';

export interface ReviewParams {
  /** Patch inputs (patch files, an mbox, a diff), in series order; parsed in the worker. */
  inputs: { source: string; text: string }[];
  /** What to call the base tree in messages; its files are read through the host's `tree.*` callbacks. */
  tree: string;
  kernel?: string;
  /** Keep the texts findings refer to (the editor shows the patched sources). */
  keepSources?: boolean;
  /** More patches than this: nothing is reviewed (a whole mailing-list archive opened by mistake). */
  maxPatches?: number;
  /** Replaces every patch's subject and title (the working tree review names its synthesized diff). */
  title?: string;
}

export type ReviewOutcome =
  | { kind: 'reviewed'; review: SeriesReview; diagnostics: { source: string; items: PatchDiagnostic[] }[] }
  /** No patch in the inputs. */
  | { kind: 'empty' }
  | { kind: 'tooMany'; patches: number }
  /** An input that cannot be read as a patch or mailbox: where, and why. */
  | { kind: 'inputError'; source: string; line: number; message: string };

const decoder = new TextDecoder('utf-8');

/** The base tree seen through the host's callbacks; once `signal` is aborted, no more is asked of the host. */
export class HostTree implements TreeReader {
  constructor(
    readonly label: string,
    private readonly host: HostChannel,
    private readonly signal?: { readonly aborted: boolean },
  ) {}

  private call<M extends keyof HostMethods>(
    method: M,
    params: HostMethods[M]['params'],
  ): Promise<HostMethods[M]['result']> {
    if (this.signal?.aborted) return Promise.reject(new Error('the review was cancelled'));
    return this.host.call(method, params);
  }

  async read(path: string): Promise<string | null> {
    let r: HostMethods['tree.read']['result'];
    try {
      r = await this.call('tree.read', { path });
    } catch (e) {
      const msg = (e as Error).message;
      if (msg.startsWith(TREE_ERROR)) throw new TreeError(msg.slice(TREE_ERROR.length), path);
      throw e;
    }
    if (r === null) return null;
    return 'text' in r ? r.text : decoder.decode(r.bytes);
  }

  isDirectory(path: string): Promise<boolean> {
    return this.call('tree.isDirectory', { path });
  }

  listSources(): Promise<{ paths: string[]; truncated: boolean } | null> {
    return this.call('tree.listSources', {});
  }
}

/** Reviews the inputs against the host's tree; `signal` stops it between analysis steps. */
export async function reviewRequest(
  analyzer: Analyzer,
  p: ReviewParams,
  host: HostChannel,
  signal?: { readonly aborted: boolean },
): Promise<ReviewOutcome> {
  const mails: PatchMail[] = [];
  const skipped: SkippedMail[] = [];
  for (const input of p.inputs) {
    try {
      const r = await readPatchInput(input.text, input.source);
      mails.push(...r.patches);
      skipped.push(...r.skipped);
    } catch (e) {
      if (e instanceof PatchInputError)
        return { kind: 'inputError', source: e.source, line: e.line, message: e.message };
      throw e;
    }
  }
  if (!mails.length) return { kind: 'empty' };
  if (p.maxPatches !== undefined && mails.length > p.maxPatches) return { kind: 'tooMany', patches: mails.length };
  if (p.title !== undefined) for (const m of mails) m.subject = m.title = p.title;
  const review = await reviewSeries(
    analyzer,
    new HostTree(p.tree, host, signal),
    mails,
    {
      kernel: p.kernel ?? 'auto',
      keepSources: p.keepSources,
      cancelled: () => signal?.aborted === true,
      onProgress: (m) => host.progress(m),
    },
    skipped,
  );
  return {
    kind: 'reviewed',
    review,
    diagnostics: p.inputs.map((i) => ({ source: i.source, items: patchDiagnostics(review, i.source) })),
  };
}

/** A git-style diff of before/after texts (the working tree review), computed off the editor's thread. */
export function diffRequest(changes: readonly TextChange[]): string {
  return unifiedDiff(changes);
}
