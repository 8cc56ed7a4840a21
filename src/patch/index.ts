/** Patch review, without any Node or VS Code dependency (see node-tree.ts and cli.ts for the Node side). */
export { parseDiff, splitLines, displayPath, DiffParseError, type FilePatch, type Hunk, type HunkLine } from './diff';
export {
  readPatchInput,
  parseSubject,
  PatchInputError,
  type PatchMail,
  type PatchInput,
  type SkippedMail,
} from './mbox';
export { applyPatch, applyHunks, ApplyError, type FileChange, type LineOrigin } from './apply';
export { OverlayTree, MemoryTree, SOURCE_FILE, type TreeReader } from './tree';
export { matchFindings, findingKey } from './compare';
export {
  reviewSeries,
  type ReviewOptions,
  type ReviewFinding,
  type PatchReview,
  type SeriesReview,
  type ContractChange,
} from './review';
export { toReviewJson, toReviewText, toReviewSarif, reviewJsonFinding, type ReviewJsonFinding } from './printers';
