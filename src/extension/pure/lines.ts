/** Offsets ↔ positions and content changes → core edits: moved to src/service/lines.ts (shared with the language server); kept here for the extension's imports. */
export * from '../../service/lines';
