/** The quick-fix writer lives in the core (src/core/fixes), shared with the CLI's SARIF `fixes`. */
export * from '../../core/fixes/writer';
