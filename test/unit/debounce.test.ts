/** The wait after a keystroke follows the document's analysis time (issue 15: a 5 ms re-check needs no 250 ms wait). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { debounceFor, MIN_DEBOUNCE_MS, recentAnalysis } from '../../src/service/debounce';

test('before any analysis time is known, the setting is the wait', () => {
  assert.equal(debounceFor(250, null), 250);
  assert.equal(debounceFor(0, null), 0);
});

test('a fast re-check waits little, never less than the minimum; a slow one waits up to the setting', () => {
  assert.equal(debounceFor(250, 5), MIN_DEBOUNCE_MS);
  // As long as the re-check itself: the analysis thread is busy at most half the time while one types.
  assert.equal(debounceFor(250, 20), 20);
  assert.equal(debounceFor(250, 400), 250);
  // A setting below the minimum is the user's choice and wins.
  assert.equal(debounceFor(0, 5), 0);
  assert.equal(debounceFor(250, Number.NaN), 250);
});

test('the running average follows the recent analyses: one slow analysis lengthens the wait for a while', () => {
  let r: number | null = null;
  for (let i = 0; i < 10; i++) r = recentAnalysis(r, 5);
  assert.equal(r, 5);
  r = recentAnalysis(r, 200);
  assert.ok(r! > 5 && r! < 200, String(r));
  // One slow analysis lengthens the next wait; the following fast ones shorten it again.
  const after = debounceFor(250, r);
  r = recentAnalysis(r, 5);
  assert.ok(debounceFor(250, r) < after, `${debounceFor(250, r)} < ${after}`);
  for (let i = 0; i < 20; i++) r = recentAnalysis(r, 5);
  assert.equal(debounceFor(250, r), MIN_DEBOUNCE_MS);
});
