/**
 * A plain-JavaScript copy of the named nodes of a tree-sitter subtree.
 *
 * Every property read through the wasm binding costs a call into wasm; the analysis walks each function several
 * times, so the function's subtree is copied once (named children come from the wasm side in one bulk call) and
 * all later passes read these objects. Comments are dropped. Field names are not copied: the few places that
 * need them know each node type's child order (see `role` helpers below), and operators are read from the
 * source text between children.
 */
import type { Node as TsNode } from 'web-tree-sitter';

export interface SNode {
  type: string;
  /** UTF-16 offsets, the same unit as JavaScript strings and VS Code offsets. */
  start: number;
  end: number;
  children: SNode[];
  parent: SNode | null;
}

/**
 * Copies the named, non-comment nodes of the subtree rooted at `node`, adding `offset` to every position (the
 * analysis works on one function at a time, in offsets relative to the function's start). Iterative: deep nesting
 * is fine.
 */
export function copySubtree(node: TsNode, types: readonly string[], offset = 0): SNode {
  const root: SNode = {
    type: types[node.typeId] ?? 'ERROR',
    start: node.startIndex + offset,
    end: node.endIndex + offset,
    children: [],
    parent: null,
  };
  const stack: [TsNode, SNode][] = [[node, root]];
  while (stack.length) {
    const [ts, copy] = stack.pop()!;
    if (ts.childCount === 0) continue;
    for (const child of ts.namedChildren) {
      if (!child) continue;
      const typeId = child.typeId;
      const type = types[typeId] ?? 'ERROR';
      if (type === 'comment') continue;
      const c: SNode = {
        type,
        start: child.startIndex + offset,
        end: child.endIndex + offset,
        children: [],
        parent: copy,
      };
      copy.children.push(c);
      // Tokens have no named children: asking would cost a call into wasm per leaf (a third of all nodes).
      if (!LEAF_TYPES.has(type)) stack.push([child, c]);
    }
  }
  return root;
}

/** Node types of tree-sitter-c that are single tokens (never have named children). */
const LEAF_TYPES: ReadonlySet<string> = new Set([
  'identifier',
  'field_identifier',
  'type_identifier',
  'statement_identifier',
  'number_literal',
  'primitive_type',
  'string_content',
  'escape_sequence',
  'character',
  'system_lib_string',
]);

export function textOf(src: string, node: SNode): string {
  return src.slice(node.start, node.end);
}

/** Depth-first pre-order visit without recursion. Return false from `visit` to skip a node's children. */
export function walk(node: SNode, visit: (n: SNode) => boolean | void): void {
  const stack: SNode[] = [node];
  while (stack.length) {
    const n = stack.pop()!;
    if (visit(n) === false) continue;
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
  }
}

/** The operator of a binary/assignment/field expression: the source text between its two operands. */
export function infixOperator(src: string, node: SNode): string {
  const [a, b] = node.children;
  if (!a || !b) return '';
  return stripComments(src.slice(a.end, b.start));
}

/** The operator of a unary/pointer/update expression written before its operand. */
export function prefixOperator(src: string, node: SNode): string {
  const a = node.children[0];
  if (!a) return '';
  return stripComments(src.slice(node.start, a.start));
}

function stripComments(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '/' && s[i + 1] === '*') {
      const j = s.indexOf('*/', i + 2);
      i = j < 0 ? s.length : j + 1;
      continue;
    }
    if (s[i] === '/' && s[i + 1] === '/') {
      const j = s.indexOf('\n', i);
      i = j < 0 ? s.length : j;
      continue;
    }
    if (s[i] !== ' ' && s[i] !== '\t' && s[i] !== '\n' && s[i] !== '\r' && s[i] !== '\\') out += s[i];
  }
  return out;
}

export const TYPE_SPECIFIERS: ReadonlySet<string> = new Set([
  'primitive_type',
  'sized_type_specifier',
  'struct_specifier',
  'union_specifier',
  'enum_specifier',
  'type_identifier',
  'macro_type_specifier',
]);

/** The line index lives in core/text/lines.ts (one for the analyzer, the CLI and the editor). */
export { LineIndex } from '../text/lines';
