/** Graph queries over a function's CFG: post-dominators, reachability. */
import type { Cfg } from './cfg';

/** Immediate post-dominator of each node (-1 if none: the node cannot reach the exit). Cooper-Harvey-Kennedy. */
export function immediatePostDominators(cfg: Cfg): number[] {
  const n = cfg.nodes.length;
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (const node of cfg.nodes) for (const t of node.succ) if (t >= 0) preds[t].push(node.id);
  // Reverse post-order of the reverse graph, from the exit.
  const order: number[] = [];
  const visited = new Uint8Array(n);
  const stack: [number, number][] = [[cfg.exit, 0]];
  visited[cfg.exit] = 1;
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [v, i] = top;
    if (i < preds[v].length) {
      top[1]++;
      const w = preds[v][i];
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
  idom[cfg.exit] = cfg.exit;
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
      if (v === cfg.exit) continue;
      let nd = -1;
      for (const s of cfg.nodes[v].succ) {
        if (s < 0 || idom[s] === -1) continue;
        nd = nd === -1 ? s : intersect(s, nd);
      }
      if (nd !== -1 && idom[v] !== nd) {
        idom[v] = nd;
        changed = true;
      }
    }
  }
  return idom;
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

/** Immediate dominator of each node (-1 if unreachable from the entry; the entry is its own). Cooper-Harvey-Kennedy. */
export function immediateDominators(cfg: Cfg): number[] {
  const n = cfg.nodes.length;
  const preds = predecessors(cfg);
  const order: number[] = [];
  const visited = new Uint8Array(n);
  const stack: [number, number][] = [[cfg.entry, 0]];
  visited[cfg.entry] = 1;
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [v, i] = top;
    const succ = cfg.nodes[v].succ;
    if (i < succ.length) {
      top[1]++;
      const w = succ[i];
      if (w >= 0 && !visited[w]) {
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
  idom[cfg.entry] = cfg.entry;
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
      if (v === cfg.entry) continue;
      let nd = -1;
      for (const p of preds[v]) {
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

/** Each node's predecessors. */
export function predecessors(cfg: Cfg): number[][] {
  const preds: number[][] = Array.from({ length: cfg.nodes.length }, () => []);
  for (const node of cfg.nodes) for (const t of node.succ) if (t >= 0) preds[t].push(node.id);
  return preds;
}
