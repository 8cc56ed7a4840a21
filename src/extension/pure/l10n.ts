/** User-visible strings of the service and the pure modules: moved to src/service/l10n.ts (shared with the language server); kept here for the extension's imports. */
export * from '../../service/l10n';
