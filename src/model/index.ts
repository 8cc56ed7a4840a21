/** The kernel model: pure TypeScript, no I/O; runs in Node, a browser and a worker. */
export * from './kernel';
export * from './state';
export * from './leases';
export * from './cache';
