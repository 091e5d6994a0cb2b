/**
 * Reads the product's source files and their static imports, for the architecture test: which
 * file imports which, and whether only for types (an `import type`, or braces of `type` names
 * only, is erased at run time and cannot make a cycle of evaluation).
 *
 * @module
 */
import { dirname, join, normalize } from "node:path";

/** One static import or re-export of a source file. */
export interface SourceImport {
  /** As written: `./hub.ts`, `xstate`. */
  specifier: string;
  /** Repo-relative path of a relative import, else the specifier. */
  target: string;
  /** Erased at run time. */
  typeOnly: boolean;
}

/** One source file. */
export interface SourceFile {
  /** Repo-relative, with `/`. */
  path: string;
  text: string;
  lines: number;
  imports: SourceImport[];
}

/** The product: what runs on a box (the server, the console). */
export const PRODUCT = ["actors", "models", "routes", "web", "main.ts"];

const STATEMENT =
  /^\s*(import|export)\s+(type\s+)?([^;'"]*?)\s*from\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gm;

/**
 * Parses a file's static imports.
 *
 * @param path repo-relative path of the file
 * @param text its source
 * @returns its imports and re-exports, dynamic `import()` left out
 */
export function parseImports(path: string, text: string): SourceImport[] {
  const found: SourceImport[] = [];
  for (const match of text.matchAll(STATEMENT)) {
    const specifier = match[4] ?? match[5] ?? "";
    const clause = match[3] ?? "";
    const braces = /^\{([\s\S]*)\}$/.exec(clause.trim());
    const namesAllTypes = braces !== null &&
      braces[1]!.split(",").map((s) => s.trim()).filter(Boolean).every((s) =>
        s.startsWith("type ")
      );
    const typeOnly = match[2] !== undefined || namesAllTypes;
    const target = specifier.startsWith(".")
      ? normalize(join(dirname(path), specifier)).replaceAll("\\", "/")
      : specifier;
    found.push({ specifier, target, typeOnly });
  }
  return found;
}

/**
 * Lists the TypeScript sources under the given top-level entries.
 *
 * @param root the checkout
 * @param options `include`: more top-level folders than the product's
 * @returns every `.ts` file with its text and imports
 */
export async function productFiles(
  root: string,
  options: { include?: string[] } = {},
): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  const visit = async (path: string) => {
    const info = await Deno.stat(join(root, path));
    if (info.isDirectory) {
      for await (const entry of Deno.readDir(join(root, path))) {
        if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
        await visit(`${path}/${entry.name}`);
      }
    } else if (path.endsWith(".ts")) {
      const text = await Deno.readTextFile(join(root, path));
      files.push({
        path,
        text,
        lines: text.split("\n").length - 1,
        imports: parseImports(path, text),
      });
    }
  };
  for (const top of [...PRODUCT, ...(options.include ?? [])]) await visit(top);
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * Finds the cycles of value imports (Tarjan's strongly connected components).
 *
 * @param files the sources
 * @param options `typeImportCycles`: count type-only imports too (they cannot break evaluation,
 *   but still tie the files together)
 * @returns each cycle as its sorted member paths; empty when there is none
 */
export function valueImportCycles(
  files: SourceFile[],
  options: { typeImportCycles?: boolean } = {},
): string[][] {
  const edges = new Map<string, string[]>();
  for (const f of files) {
    const counted = f.imports.filter((i) => options.typeImportCycles || !i.typeOnly);
    edges.set(f.path, counted.map((i) => i.target));
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const strongConnect = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        strongConnect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) strongConnect(v);
  return cycles;
}
