/** Dominators and post-dominators of a control-flow graph (src/core/cfg/graph.ts), on small graphs built here. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cfg } from '../../src/core/cfg/cfg';
import { immediateDominators, immediatePostDominators, predecessors } from '../../src/core/cfg/graph';

/** A graph from successor lists: node 0 is the entry. */
function graph(succ: number[][], exit: number): Cfg {
  return { nodes: succ.map((s, id) => ({ id, succ: s })), entry: 0, exit } as unknown as Cfg;
}

// entry 0 -> 1 -> {2, 3} -> 4 -> exit 5; node 6 is unreachable and goes to 4.
const diamond = graph([[1], [2, 3], [4], [4], [5], [], [4]], 5);

test('immediate dominators: the branch dominates both arms and the join; an unreachable node has none', () => {
  const idom = immediateDominators(diamond);
  assert.deepEqual(idom.slice(0, 6), [0, 0, 1, 1, 1, 4]);
  assert.equal(idom[6], -1);
});

test('immediate post-dominators: the join post-dominates the branch and both arms', () => {
  const ipdom = immediatePostDominators(diamond);
  assert.deepEqual(ipdom.slice(0, 6), [1, 4, 4, 4, 5, 5]);
  assert.equal(ipdom[6], 4);
});

test('a node reached by two edges from one branch lists it twice as a predecessor', () => {
  assert.deepEqual(predecessors(graph([[1, 1], []], 1))[1], [0, 0]);
});
