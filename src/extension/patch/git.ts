/**
 * The few parts of the built-in git extension's API (extensions/git/src/api/git.d.ts, version 1) that the working
 * tree review uses, typed here so the extension does not depend on the git extension's sources.
 */
import type * as vscode from 'vscode';

export interface GitExtension {
  readonly enabled: boolean;
  getAPI(version: 1): GitApi;
}

export interface GitApi {
  readonly repositories: GitRepository[];
  getRepository(uri: vscode.Uri): GitRepository | null;
}

export interface GitChange {
  readonly uri: vscode.Uri;
  readonly originalUri: vscode.Uri;
  readonly renameUri: vscode.Uri | undefined;
  readonly status: number;
}

export interface GitRepository {
  readonly rootUri: vscode.Uri;
  /** Contents of `path` (a file system path) at `ref`. */
  show(ref: string, path: string): Promise<string>;
  /** Changes of the working tree (staged or not) against HEAD. */
  diffWithHEAD(): Promise<GitChange[]>;
}

/** git extension Status values that matter here. */
export const Status = {
  INDEX_ADDED: 1,
  INDEX_DELETED: 2,
  INDEX_RENAMED: 3,
  INDEX_COPIED: 4,
  DELETED: 6,
  UNTRACKED: 7,
  INTENT_TO_ADD: 9,
  INTENT_TO_RENAME: 10,
} as const;

export function isAdded(status: number): boolean {
  return (
    status === Status.INDEX_ADDED ||
    status === Status.UNTRACKED ||
    status === Status.INTENT_TO_ADD ||
    status === Status.INDEX_COPIED
  );
}

export function isDeleted(status: number): boolean {
  return status === Status.INDEX_DELETED || status === Status.DELETED;
}

export function isRenamed(status: number): boolean {
  return status === Status.INDEX_RENAMED || status === Status.INTENT_TO_RENAME;
}
