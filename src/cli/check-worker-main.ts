/** Thread entry of `vfslock check --jobs N` (dist/check-worker-main.js). */
import { serveChecks } from './check-worker';

serveChecks();
