import { dirname, join, normalize } from "node:path";

/**
 * The import graph of the service, read from the source text (tests/architecture uses it):
 * files, the folders ("rooms") they sit in, and the cycles between folders.
 */

/** Files that wire every capability together: they stand outside the folder graph. */
export const COMPOSITION_ROOTS = new Set([
  "bot/main.ts",
  "bot/app.ts",
  "bot/telegram/bot.ts",
  "bot/http/mini-app-api.ts",
]);

export interface Import {
  from: string;
  to: string;
}

const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** Every import and re-export of `file` that points into this repository, as a repo path. */
export function importsOf(file: string, text: string): Import[] {
  const found: Import[] = [];
  for (const match of text.matchAll(SPECIFIER)) {
    const specifier = match[1] ?? match[2] ?? "";
    let to: string | null = null;
    if (specifier.startsWith("#bot/")) to = `bot/${specifier.slice(5)}.ts`;
    else if (specifier.startsWith("#db/")) to = `db/${specifier.slice(4)}.ts`;
    else if (specifier.startsWith(".")) to = normalize(join(dirname(file), specifier));
    if (to !== null) found.push({ from: file, to: to.split("\\").join("/") });
  }
  return found;
}

/** bot/tasks/core/create.ts → "tasks"; db/tasks.ts → "db"; bot/app.ts → null (a root). */
export function roomOf(path: string): string | null {
  if (path.startsWith("db/")) return "db";
  const parts = path.split("/");
  return parts.length > 2 ? (parts[1] ?? null) : null;
}

/** The folders that import each other in a ring, each with the imports that close it. */
export function folderCycles(imports: readonly Import[]): string[][] {
  const edges = new Map<string, Set<string>>();
  for (const { from, to } of imports) {
    const a = roomOf(from);
    const b = roomOf(to);
    if (a === null || b === null || a === b || COMPOSITION_ROOTS.has(from)) continue;
    if (!edges.has(a)) edges.set(a, new Set());
    edges.get(a)?.add(b);
  }
  // Tarjan's strongly connected components: every component of two or more is a cycle.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(next) ?? 0));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) components.push(component.sort());
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return components;
}
