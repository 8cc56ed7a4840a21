/**
 * A git-style unified diff made from before/after texts (the editor's "Review Working Tree Changes": HEAD against
 * the working tree), so edits that are not a patch file yet go through the same review as patches do.
 */
import { formatPatch, structuredPatch } from 'diff';

export interface TextChange {
  /** Path before (null: a new file). */
  oldPath: string | null;
  /** Path after (null: deleted). */
  newPath: string | null;
  before: string | null;
  after: string | null;
}

export function unifiedDiff(changes: readonly TextChange[], context = 3): string {
  const parts: string[] = [];
  for (const c of changes) {
    const oldName = c.oldPath ?? c.newPath!;
    const newName = c.newPath ?? c.oldPath!;
    if (c.before === c.after && oldName === newName) continue;
    const p = structuredPatch(`a/${oldName}`, `b/${newName}`, c.before ?? '', c.after ?? '', undefined, undefined, {
      context,
    });
    p.isGit = true;
    if (c.oldPath === null) {
      p.isCreate = true;
      p.newMode = '100644';
    } else if (c.newPath === null) {
      p.isDelete = true;
      p.oldMode = '100644';
    } else if (oldName !== newName) p.isRename = true;
    parts.push(formatPatch(p));
  }
  return parts.join('');
}
