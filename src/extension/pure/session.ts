/** The analysis session (documents, results, fixes, simulations): moved to src/service/session.ts (shared with the language server); kept here for the extension's imports. */
export * from '../../service/session';
