/** Graph queries over a function's CFG: dominators, post-dominators, reachability. */
import type { Cfg } from './cfg';

/**
 * Immediate dominators over a graph given by its edges in both directions (Cooper-Harvey-Kennedy): `forward` are the
 * edges walked from `start`, `backward` their reverse. -1 for a node `start` does not reach; `start` is its own.
 */
function immediateDominatorsFrom(n: number, start: number, forward: number[][], backward: number[][]): number[] {
  // Reverse post-order from the start.
  const order: number[] = [];
  const visited = new Uint8Array(n);
  const stack: [number, number][] = [[start, 0]];
  visited[start] = 1;
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [v, i] = top;
    if (i < forward[v].length) {
      top[1]++;
      const w = forward[v][i];
      if (!visited[w]) {
        visited[w] = 1;
        stack.push([w, 0]);
      }
    } else {
      order.push(v);
      stack.pop();
    }
  }
  order.reverse();
  const rank = new Array(n).fill(-1);
  order.forEach((v, i) => (rank[v] = i));
  const idom = new Array(n).fill(-1);
  idom[start] = start;
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while (rank[a] > rank[b]) a = idom[a];
      while (rank[b] > rank[a]) b = idom[b];
    }
    return a;
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (const v of order) {
      if (v === start) continue;
      let nd = -1;
      for (const p of backward[v]) {
        if (idom[p] === -1) continue;
        nd = nd === -1 ? p : intersect(p, nd);
      }
      if (nd !== -1 && idom[v] !== nd) {
        idom[v] = nd;
        changed = true;
      }
    }
  }
  return idom;
}

/** Each node's successors (edges to nowhere left out). */
function successors(cfg: Cfg): number[][] {
  return cfg.nodes.map((node) => node.succ.filter((t) => t >= 0));
}

/** Each node's predecessors. */
export function predecessors(cfg: Cfg): number[][] {
  const preds: number[][] = Array.from({ length: cfg.nodes.length }, () => []);
  for (const node of cfg.nodes) for (const t of node.succ) if (t >= 0) preds[t].push(node.id);
  return preds;
}

/** Immediate post-dominator of each node (-1 if none: the node cannot reach the exit). */
export function immediatePostDominators(cfg: Cfg): number[] {
  return immediateDominatorsFrom(cfg.nodes.length, cfg.exit, predecessors(cfg), successors(cfg));
}

/** Immediate dominator of each node (-1 if unreachable from the entry; the entry is its own). */
export function immediateDominators(cfg: Cfg): number[] {
  return immediateDominatorsFrom(cfg.nodes.length, cfg.entry, successors(cfg), predecessors(cfg));
}

export function reachable(cfg: Cfg, from: number): Set<number> {
  const seen = new Set<number>();
  const stack = [...cfg.nodes[from].succ];
  while (stack.length) {
    const n = stack.pop()!;
    if (n < 0 || seen.has(n)) continue;
    seen.add(n);
    stack.push(...cfg.nodes[n].succ);
  }
  return seen;
}
