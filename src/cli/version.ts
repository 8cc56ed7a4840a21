/** The CLI's version: what `vfslock --version` prints (set at build time when VFSLOCK_VERSION is defined). */
declare const VFSLOCK_VERSION: string | undefined;
export const VERSION = typeof VFSLOCK_VERSION === 'string' ? VFSLOCK_VERSION : '0.1.0';
declare const VFSLOCK_BUILD: string | undefined;
/** A hash of the sources the bundle was built from (scripts/build.mjs): cached analysis results are keyed by it. */
export const BUILD = typeof VFSLOCK_BUILD === 'string' ? VFSLOCK_BUILD : 'unbundled';
