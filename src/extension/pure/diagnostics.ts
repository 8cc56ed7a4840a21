/** Findings → plain diagnostic data: moved to src/service/diagnostics.ts (shared with the language server); kept here for the extension's imports. */
export * from '../../service/diagnostics';
