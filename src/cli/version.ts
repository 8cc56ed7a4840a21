/** The CLI's version: what `vfslock --version` prints (set at build time when VFSLOCK_VERSION is defined). */
declare const VFSLOCK_VERSION: string | undefined;
export const VERSION = typeof VFSLOCK_VERSION === 'string' ? VFSLOCK_VERSION : '0.1.0';
