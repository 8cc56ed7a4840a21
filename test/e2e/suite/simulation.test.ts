/**
 * The simulation panel's extension-host tests on their own (VFSLOCK_E2E_FILES=simulation node scripts/e2e/run.mjs
 * --suite main); the main suite runs them too, after its own tests.
 */
import { simulationSuite } from './simulation';

simulationSuite();
