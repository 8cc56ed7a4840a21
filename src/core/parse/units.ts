/**
 * Finds the functions of a translation unit: ordinary definitions, and `SYSCALL_DEFINEn(name, ...) { ... }`,
 * which tree-sitter-c (parsing raw, unpreprocessed kernel source) reads as a call followed by a detached block.
 */
import type { Node as TsNode } from 'web-tree-sitter';
import { copySubtree, type SNode, textOf, TYPE_SPECIFIERS } from './syntax';

export interface Param {
  name: string;
  /** The declaration's text without the name, whitespace-normalised (`struct inode **`). */
  type: string;
}

export interface Annotation {
  kind: '__acquires' | '__releases' | '__must_hold';
  /** Source text of the annotation's argument. */
  arg: string;
}

export interface FunctionUnit {
  name: string;
  /** Offsets of the whole definition (signature and body). */
  start: number;
  end: number;
  nameStart: number;
  nameEnd: number;
  isSyscall: boolean;
  isStatic: boolean;
  params: Param[];
  annotations: Annotation[];
  /** The tree-sitter body node (valid while its tree is); the engine copies it to an SNode when it needs it. */
  bodyTs?: TsNode;
  declTs?: TsNode;
  /** Offset of the body's opening brace. */
  bodyStart: number;
  /** Whether the function, as parsed, is free of syntax errors and not inside a region tree-sitter could not parse. */
  clean?: boolean;
}

const CONTAINERS = new Set([
  'translation_unit',
  'preproc_if',
  'preproc_ifdef',
  'preproc_else',
  'preproc_elif',
  'preproc_elifdef',
  'linkage_specification',
  'declaration_list',
  'ERROR',
]);

/**
 * What a function's header tells us (name, parameters, annotations), keyed by the header's exact text and stored
 * relative to the definition's start: after an edit elsewhere in the file it is reused without walking the
 * declarator again.
 */
export type HeaderCache = Map<string, Omit<FunctionUnit, 'start' | 'end' | 'bodyTs' | 'declTs' | 'bodyStart'> | null>;

/** Lists the function units in the tree, in source order. */
export function findFunctions(
  root: TsNode,
  src: string,
  types: readonly string[],
  cache?: HeaderCache,
): FunctionUnit[] {
  const out: FunctionUnit[] = [];
  const stack: [TsNode, boolean][] = [[root, false]];
  while (stack.length) {
    const [container, inError] = stack.pop()!;
    const kids = container.namedChildren.filter((c): c is TsNode => !!c);
    for (let i = 0; i < kids.length; i++) {
      const n = kids[i];
      const type = types[n.typeId] ?? 'ERROR';
      if (type === 'function_definition') {
        const unit = functionUnit(n, src, types, cache);
        if (unit) out.push({ ...unit, clean: !inError && !n.hasError });
      } else if (type === 'expression_statement' || type === 'declaration' || type === 'ERROR') {
        const next = kids[i + 1];
        if (next && (types[next.typeId] ?? '') === 'compound_statement') {
          const unit = syscallUnit(n, next, src, types);
          if (unit) {
            out.push(unit);
            i++;
            continue;
          }
        }
        if (type === 'ERROR') stack.push([n, true]);
      } else if (CONTAINERS.has(type)) {
        stack.push([n, inError || type === 'ERROR']);
      }
    }
  }
  out.sort((a, b) => a.start - b.start);
  return out;
}

function functionUnit(def: TsNode, src: string, types: readonly string[], cache?: HeaderCache): FunctionUnit | null {
  let declarator: TsNode | null = null;
  let body: TsNode | null = null;
  for (const c of def.namedChildren) {
    if (!c) continue;
    const t = types[c.typeId] ?? 'ERROR';
    if (t === 'compound_statement') body = c;
    else if (t.endsWith('declarator')) declarator = c;
  }
  if (!declarator || !body) return null;
  if ((types[declarator.typeId] ?? '') === 'parenthesized_declarator')
    return attributeMisparse(def, declarator, body, src, types);
  const start = def.startIndex;
  const headerKey = src.slice(start, body.startIndex);
  let header = cache?.get(headerKey);
  if (header === undefined) {
    header = functionHeader(def, declarator, src, types, start);
    cache?.set(headerKey, header);
  }
  if (!header) return null;
  return {
    ...header,
    start,
    end: def.endIndex,
    nameStart: header.nameStart + start,
    nameEnd: header.nameEnd + start,
    bodyTs: body,
    declTs: declarator,
    bodyStart: body.startIndex,
  };
}

/**
 * `static int __init foo(void) { ... }`: an attribute macro between the return type and the name (`__init`, `__exit`,
 * `__cold`, `noinline`, ...) with a `(void)` parameter list parses as a declaration `static int __init` missing its
 * `;`, then a function definition whose type is `foo` and whose declarator is `(void)`. Read it as the function `foo`
 * without parameters (static when that declaration is).
 */
function attributeMisparse(
  def: TsNode,
  declarator: TsNode,
  body: TsNode,
  src: string,
  types: readonly string[],
): FunctionUnit | null {
  const inner = declarator.namedChildren.filter((c) => !!c);
  if (inner.length !== 1 || (types[inner[0]!.typeId] ?? '') !== 'identifier' || inner[0]!.text !== 'void') return null;
  const nameNode = def.namedChildren.find((c) => !!c && (types[c.typeId] ?? '') === 'type_identifier');
  const prev = def.previousNamedSibling;
  if (
    !nameNode ||
    !prev ||
    (types[prev.typeId] ?? '') !== 'declaration' ||
    src.slice(prev.startIndex, prev.endIndex).trimEnd().endsWith(';')
  )
    return null;
  const isStatic = prev.namedChildren.some(
    (c) => !!c && (types[c.typeId] ?? '') === 'storage_class_specifier' && c.text === 'static',
  );
  const start = def.startIndex;
  return {
    name: nameNode.text,
    nameStart: nameNode.startIndex,
    nameEnd: nameNode.endIndex,
    isSyscall: false,
    isStatic,
    params: [],
    annotations: [],
    start,
    end: def.endIndex,
    bodyTs: body,
    declTs: declarator,
    bodyStart: body.startIndex,
  };
}

function functionHeader(
  def: TsNode,
  declarator: TsNode,
  src: string,
  types: readonly string[],
  start: number,
): Omit<FunctionUnit, 'start' | 'end' | 'bodyTs' | 'declTs' | 'bodyStart'> | null {
  let isStatic = false;
  for (const c of def.namedChildren) {
    if (c && (types[c.typeId] ?? '') === 'storage_class_specifier' && c.text === 'static') isStatic = true;
  }
  const decl = copySubtree(declarator, types);
  const fnDecl = findFunctionDeclarator(decl);
  if (!fnDecl) return null;
  const nameNode = fnDecl.children[0];
  if (!nameNode || nameNode.type !== 'identifier') return null;
  const paramList = fnDecl.children.find((c) => c.type === 'parameter_list');
  const params = paramList
    ? paramList.children.filter((c) => c.type === 'parameter_declaration').map((p) => param(p, src))
    : [];
  const annotations: Annotation[] = [];
  // `__must_hold(&x->lock)` after the parameter list parses as a call inside the function declarator.
  for (const c of fnDecl.children) {
    if (c.type !== 'call_expression') continue;
    const fn = textOf(src, c.children[0]);
    if (fn === '__acquires' || fn === '__releases' || fn === '__must_hold') {
      const args = c.children[1];
      annotations.push({ kind: fn, arg: args ? textOf(src, args).slice(1, -1).trim() : '' });
    }
  }
  return {
    name: textOf(src, nameNode),
    nameStart: nameNode.start - start,
    nameEnd: nameNode.end - start,
    isSyscall: false,
    isStatic,
    params: params.filter((p) => p.name !== '' || p.type !== 'void'),
    annotations,
  };
}

function findFunctionDeclarator(n: SNode): SNode | null {
  let cur: SNode | undefined = n;
  while (cur) {
    if (cur.type === 'function_declarator') {
      // `int (*f(void))(int)` style: the innermost function declarator with an identifier name.
      const first = cur.children[0];
      if (first && first.type !== 'identifier') {
        const inner = findFunctionDeclarator(first);
        if (inner) return inner;
      }
      return cur;
    }
    cur = cur.children.find((c) => c.type.endsWith('declarator')) ?? cur.children[0];
    if (cur && (cur.type === 'identifier' || cur.type === 'parameter_list')) return null;
  }
  return null;
}

function param(p: SNode, src: string): Param {
  let name = '';
  let nameNode: SNode | null = null;
  const stack = p.children.filter(
    (c) => !TYPE_SPECIFIERS.has(c.type) && c.type !== 'type_qualifier' && c.type !== 'storage_class_specifier',
  );
  while (stack.length) {
    const c = stack.shift()!;
    if (c.type === 'identifier') {
      nameNode = c;
      name = textOf(src, c);
      break;
    }
    if (c.type.endsWith('declarator')) stack.unshift(...c.children);
  }
  const full = textOf(src, p);
  const type = nameNode ? full.slice(0, nameNode.start - p.start) + full.slice(nameNode.end - p.start) : full;
  return {
    name,
    type: type
      .replace(/\s+/g, ' ')
      .replace(/\s*\*\s*/g, ' *')
      .replace(/\* \*/g, '**')
      .trim(),
  };
}

/** `SYSCALL_DEFINE3(name, t1, a1, t2, a2, ...)` followed by a block: the function `sys_name`. */
function syscallUnit(head: TsNode, body: TsNode, src: string, types: readonly string[]): FunctionUnit | null {
  const h = copySubtree(head, types);
  let call: SNode | undefined = h.type === 'call_expression' ? h : h.children.find((c) => c.type === 'call_expression');
  if (!call && h.type === 'ERROR') call = h.children.find((c) => c.type === 'call_expression');
  if (!call) return null;
  const fn = call.children[0];
  if (!fn || fn.type !== 'identifier') return null;
  const macro = textOf(src, fn);
  const m = /^(COMPAT_)?SYSCALL_DEFINE\d$/.exec(macro);
  if (!m) return null;
  const args = call.children[1];
  if (!args) return null;
  // Split the argument list's text at top-level commas: tree-sitter's view of `const char __user *` is broken.
  const text = textOf(src, args).slice(1, -1);
  const groups = splitTopLevel(text);
  if (groups.length === 0) return null;
  const base = (m[1] ? 'compat_sys_' : 'sys_') + groups[0].trim();
  const params: Param[] = [];
  for (let i = 1; i + 1 < groups.length; i += 2)
    params.push({ name: groups[i + 1].trim(), type: groups[i].trim().replace(/\s+/g, ' ') });
  const nameStart = fn.start;
  return {
    name: base,
    start: head.startIndex,
    end: body.endIndex,
    nameStart,
    nameEnd: args.start + 1 + groups[0].length,
    isSyscall: true,
    isStatic: false,
    params,
    annotations: [],
    bodyTs: body,
    declTs: head,
    bodyStart: body.startIndex,
  };
}

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') out.push(cur);
  return out;
}

/** Identifiers appearing in `src[start, end)`: a cheap pre-filter deciding which functions need analysis. */
export function identifiersIn(src: string, start: number, end: number): Set<string> {
  const out = new Set<string>();
  let i = start;
  while (i < end) {
    const c = src.charCodeAt(i);
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) {
      let j = i + 1;
      while (j < end) {
        const d = src.charCodeAt(j);
        if ((d >= 65 && d <= 90) || (d >= 97 && d <= 122) || d === 95 || (d >= 48 && d <= 57)) j++;
        else break;
      }
      out.add(src.slice(i, j));
      i = j;
    } else if (c >= 48 && c <= 57) {
      i++;
      while (i < end) {
        const d = src.charCodeAt(i);
        if ((d >= 65 && d <= 90) || (d >= 97 && d <= 122) || d === 95 || (d >= 48 && d <= 57)) i++;
        else break;
      }
    } else i++;
  }
  return out;
}
