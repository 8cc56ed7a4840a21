/**
 * File-level facts about global variables that per-function analysis cannot see: a file-scope `struct dentry *` that
 * every function of the file assigns only from a pseudo-filesystem creator (`evm_xattrs = securityfs_create_file(...)`)
 * names an inode nfsd cannot export, so no delegation can exist on it wherever the file changes it.
 */
import type { Catalogue } from '../catalogue/catalogue';
import type { SNode } from '../parse/syntax';
import { declaredName } from './ops';
import { ExprContext } from './expr';

export interface GlobalScanUnit {
  text: string;
  paramNames: string[];
  idents: ReadonlySet<string>;
  body: () => SNode;
}

export function pseudoFsGlobals(units: readonly GlobalScanUnit[], cat: Catalogue): Set<string> {
  const creators = new Set(cat.contexts.pseudoFsCreators);
  const out = new Set<string>();
  if (!creators.size || !units.some((u) => [...creators].some((c) => u.idents.has(c)))) return out;
  const candidates = new Set<string>();
  const other = new Set<string>();
  const scan = (u: GlobalScanUnit, onlyFor: Set<string> | null) => {
    const ctx = new ExprContext(u.text, cat);
    const body = u.body();
    const locals = new Set(u.paramNames);
    const assigns: { name: string; rhs: SNode }[] = [];
    const stack: SNode[] = [body];
    while (stack.length) {
      const n = stack.pop()!;
      if (n.type === 'declaration')
        for (const d of n.children) {
          const name = declaredName(ctx, d);
          if (name) locals.add(name);
        }
      if (n.type === 'assignment_expression' && n.children[0]?.type === 'identifier' && n.children[1])
        assigns.push({ name: ctx.text(n.children[0]), rhs: n.children[1] });
      for (const c of n.children) stack.push(c);
    }
    for (const { name, rhs } of assigns) {
      if (locals.has(name) || (onlyFor && !onlyFor.has(name))) continue;
      const fn =
        rhs.type === 'call_expression' && rhs.children[0]?.type === 'identifier' ? ctx.text(rhs.children[0]) : null;
      const isNull = rhs.type === 'null' || ctx.text(rhs) === 'NULL' || (fn !== null && /^ERR_(PTR|CAST)$/.test(fn));
      if (fn && creators.has(fn)) candidates.add(name);
      else if (!isNull) other.add(name);
    }
  };
  for (const u of units) if ([...creators].some((c) => u.idents.has(c))) scan(u, null);
  if (!candidates.size) return out;
  // Every other assignment to a candidate in the file must be NULL (or an error pointer).
  for (const u of units)
    if ([...candidates].some((c) => u.idents.has(c)) && ![...creators].some((c) => u.idents.has(c)))
      scan(u, candidates);
  for (const c of candidates) if (!other.has(c)) out.add(c);
  return out;
}
