/** Hover and lock-state text: moved to src/service/hover.ts (shared with the language server); kept here for the extension's imports. */
export * from '../../service/hover';
