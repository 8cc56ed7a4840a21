/**
 * The language server's warm-up (src/service/warm-up.ts): its functions are analysed (a snippet the analyzer could not
 * analyse would warm up nothing), they are correct code (no finding), and the session keeps no document of it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../../src/service/session';
import { nodeWasmSource } from '../../src/core/parse/node-wasm';
import { warmUp, WARM_UP_C } from '../../src/service/warm-up';
import { sharedAnalyzer } from '../helpers/corpus';

test('the warm-up snippet is analysed, every function of it, with no finding', async () => {
  const a = await sharedAnalyzer();
  const r = a.check('warm.c', WARM_UP_C, { prescan: false });
  assert.equal(r.error, undefined);
  assert.equal(r.functions.length, 4);
  assert.equal(r.analyzedFunctions, 4);
  assert.deepEqual(r.findings, []);
});

test('warmUp() leaves the session as it found it', async () => {
  const s = await Session.create(nodeWasmSource());
  warmUp(s);
  assert.equal(s.text('vfslock-warm-up:warm.c'), null);
  assert.deepEqual(s.takeDependents(), []);
  s.dispose();
});
