/**
 * The rules the engine runs, in the order it calls them at each event (and so the order of findings made at the same
 * point; one event rarely concerns more than one rule). To add a rule: a module in this directory exporting a `Rule`
 * (see context.ts), its id in analysis/types.ts and rules.ts, its page in docs/rules/, and an entry here.
 */
import type { Rule } from './context';
import { missingBreak } from './missing-break';
import { dirSelfBreak } from './dir-self-break';
import { unhandledDelegatedInode } from './unhandled-delegated-inode';
import { breakUnlocked } from './break-unlocked';
import { blockingBreakLocked } from './blocking-break-locked';
import { nullDelegatedInode } from './null-delegated-inode';
import { grantUnserialized } from './grant-unserialized';
import { openMissingBreak } from './open-missing-break';
import { otruncReadLease } from './otrunc-read-lease';
import { serverOpenBlocks } from './server-open-blocks';
import { lockImbalance } from './lock-imbalance';
import { analysisTruncated } from './analysis-truncated';

export const RULE_MODULES: readonly Rule[] = [
  missingBreak,
  dirSelfBreak,
  // Before break-unlocked: a missing retry is reported before the unlocked calls found at the end.
  unhandledDelegatedInode,
  breakUnlocked,
  blockingBreakLocked,
  nullDelegatedInode,
  grantUnserialized,
  openMissingBreak,
  otruncReadLease,
  serverOpenBlocks,
  lockImbalance,
  // Last: its note follows every other finding.
  analysisTruncated,
];
