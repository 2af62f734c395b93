/**
 * The import rules of server/ and federation/, checked on every `npm run lint`:
 *
 * - no import cycle between modules: a module is a folder directly under server/ (server/accounts, server/http, …)
 *   or federation/ as a whole; a cycle counts even when no single file imports itself back
 *   (server/accounts -> server/http -> server/accounts);
 * - no file of a module imports another module's `*.collections.ts`: data belongs to its module and is reached
 *   through its service;
 * - server/core imports nothing of the other modules (it sits under all of them), only the type of the config.
 *
 * Only imports that survive compilation count for the first two rules: an `import type` is erased, so it neither
 * orders module loading nor reaches another module's data. The files directly in server/ (app.ts and context.ts,
 * which wire every module together, config.ts, logger.ts, crypto.ts, …) belong to no module.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  readonly from: string;
  readonly to: string;
  /** Erased at compile time: `import type`, or every named binding marked `type`. */
  readonly typeOnly: boolean;
}

export interface Violation {
  readonly rule: 'module-cycle' | 'foreign-collections' | 'core-imports' | 'file-size';
  /** Stays the same from run to run. */
  readonly key: string;
  readonly message: string;
}

export const SOURCE_ROOTS = ['server', 'federation'];

export function sourceFiles(root: string, dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const relative = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...sourceFiles(root, relative));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(relative);
  }
  return found;
}

function isTypeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) {
    if (node.isTypeOnly) return true;
    const clause = node.exportClause;
    return clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly);
  }
  const clause = node.importClause;
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  const bindings = clause.namedBindings;
  return !clause.name && bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

/** Resolves a relative specifier (`../core/errors.js`) to the source file it names, relative to the project root. */
function resolve(from: string, specifier: string): string {
  const joined = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  return joined.replace(/\.js$/, '.ts');
}

/** Every relative import and re-export of the project's server and federation sources. */
export function importEdges(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of SOURCE_ROOTS.flatMap((dir) => sourceFiles(root, dir))) {
    const source = ts.createSourceFile(file, fs.readFileSync(path.join(root, file), 'utf8'), ts.ScriptTarget.Latest, false);
    const visit = (node: ts.Node): void => {
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        const specifier = node.moduleSpecifier.text;
        if (specifier.startsWith('.')) edges.push({ from: file, to: resolve(file, specifier), typeOnly: isTypeOnly(node) });
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const [argument] = node.arguments;
        if (argument && ts.isStringLiteral(argument) && argument.text.startsWith('.')) edges.push({ from: file, to: resolve(file, argument.text), typeOnly: false });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return edges;
}

/** The module a file belongs to (`server/http`, `federation`), or null for the files directly in server/. */
export function moduleOf(file: string): string | null {
  const parts = file.split('/');
  if (parts[0] === 'federation') return 'federation';
  if (parts[0] === 'server' && parts.length > 2) return `${parts[0]}/${parts[1]}`;
  return null;
}

/** The groups of modules that import each other in a cycle (Tarjan's strongly connected components). */
function tangledModules(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let next = 0;
  const connect = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        connect(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) connect(node);
  return components;
}

export function checkImports(edges: readonly ImportEdge[]): Violation[] {
  const violations: Violation[] = [];
  const graph = new Map<string, Set<string>>();
  const witnesses = new Map<string, string>();
  for (const edge of edges) {
    const from = moduleOf(edge.from);
    const to = moduleOf(edge.to);
    if (from === 'server/core' && to !== 'server/core' && !(edge.to === 'server/config.ts' && edge.typeOnly)) {
      violations.push({ rule: 'core-imports', key: `core: ${edge.from} -> ${edge.to}`, message: `${edge.from} imports ${edge.to}: server/core imports no other part of the server (only the config's type)` });
    }
    if (edge.typeOnly) continue;
    // app.ts declares every module's collections to the store: the wiring belongs to no module.
    if (edge.to.endsWith('.collections.ts') && from !== null && from !== to) {
      violations.push({ rule: 'foreign-collections', key: `collections: ${edge.from} -> ${edge.to}`, message: `${edge.from} imports ${edge.to}: reach another module's data through its service` });
    }
    if (from && to && from !== to) {
      if (!graph.has(from)) graph.set(from, new Set());
      graph.get(from)!.add(to);
      const key = `${from} -> ${to}`;
      if (!witnesses.has(key)) witnesses.set(key, `${edge.from} -> ${edge.to}`);
    }
  }
  for (const modules of tangledModules(graph)) {
    // Every import between the tangled modules is listed: breaking the cycle means removing some of them.
    const inside = new Set(modules);
    const imports = modules.flatMap((from) => [...(graph.get(from) ?? [])].filter((to) => inside.has(to)).sort().map((to) => `  ${from} -> ${to} (${witnesses.get(`${from} -> ${to}`)})`));
    violations.push({ rule: 'module-cycle', key: `cycle: ${modules.join(', ')}`, message: `modules ${modules.join(', ')} import each other in a cycle:\n${imports.join('\n')}` });
  }
  return violations;
}
