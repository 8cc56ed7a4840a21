/** Graph helpers shared by the analysis (call graphs) and the simulator (state graphs). */

/**
 * Strongly connected components (Tarjan, iterative so deep graphs do not overflow the stack), in reverse
 * topological order: every component comes after the components it reaches — for a call graph, callees first.
 */
export function stronglyConnected(adj: readonly (readonly number[])[]): number[][] {
  const n = adj.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const groups: number[][] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const work: [number, number][] = [[root, 0]];
    while (work.length) {
      const top = work[work.length - 1];
      const [v, i] = top;
      if (i === 0 && index[v] === -1) {
        index[v] = low[v] = counter++;
        stack.push(v);
        onStack[v] = 1;
      }
      if (i < adj[v].length) {
        top[1]++;
        const w = adj[v][i];
        if (index[w] === -1) work.push([w, 0]);
        else if (onStack[w]) low[v] = Math.min(low[v], index[w]);
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1][0];
        low[parent] = Math.min(low[parent], low[v]);
      }
      if (low[v] === index[v]) {
        const g: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          g.push(w);
        } while (w !== v);
        groups.push(g);
      }
    }
  }
  return groups;
}
