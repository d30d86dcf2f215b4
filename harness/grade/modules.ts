/**
 * Loading an implementation so that every node incarnation gets its own copy of it.
 *
 * A real broker that restarts loads its code afresh: whatever a module kept in a top-level
 * variable is gone, and two machines never share one. A simulation that imported the learner's
 * files once would let such state survive a "restart" and leak between "machines", and a register
 * that keeps its value in a module-level variable would pass a crash test it must fail. So the
 * learner's files are not imported the ordinary way. Each is transpiled once (esbuild, to
 * CommonJS) and compiled once into a function; `instantiate()` calls those functions with a fresh
 * module cache, which gives a new, independent copy of every module-level variable in a few
 * microseconds, and the copy is garbage once its incarnation is gone.
 *
 * What is the implementation's own: the files in its folder, reached by relative imports. For a
 * bug-zoo entry (a folder under the lab's bugs/), a learner file the entry does not hold is taken
 * from the reference solution, and the solution's files import the entry's files in their place:
 * an entry holds only the part it breaks. Everything else (`#lab`, the lab's provided module,
 * packages) is imported once, the ordinary way, and shared.
 *
 * Node built-ins that reach the real world (files, sockets, processes, real timers, real
 * randomness) are handed to the learner's code as stand-ins whose every function fails with a
 * `DeterminismViolation` that names the `env` call to use instead.
 *
 * Stack traces point into the transpiled code; `originalPosition` maps a frame back to the
 * learner's line through the source map kept for each file.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { builtinModules, SourceMap, type SourceMapPayload } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import vm from "node:vm";
import { transformSync } from "esbuild";
import { DeterminismViolation } from "../lab-api.ts";
import { reportViolation } from "../sim/guard.ts";

/** A module's exports, as its importers see them. */
type Exports = Record<string, unknown>;

/** The CommonJS wrapper esbuild's output runs in. */
type ModuleFunction = (exports: Exports, require: (specifier: string) => unknown, module: { exports: Exports }) => void;

interface CompiledFile {
  file: string;
  run: ModuleFunction;
  /** Each `require(...)` in the file, resolved: an internal file path, or an external key. */
  imports: Map<string, { kind: "internal"; file: string } | { kind: "external"; key: string }>;
}

export interface ModuleGraphOptions {
  /** The implementation's folder. */
  dir: string;
  /** Where a learner file that `dir` does not hold comes from (zoo entries: the solution). */
  fallbackDir?: string;
  /** The lab's learner files (`register.ts`): imports of these go to `dir`, else `fallbackDir`. */
  files: readonly string[];
  /** The entry modules (among `files`), whose exports together are the implementation. */
  entries: readonly string[];
}

/** An implementation, loaded: instantiate it once per node incarnation. */
export interface ModuleGraph {
  /** A new, independent copy of every module of the implementation. */
  instantiate(): Exports;
  /** Module-level variables in the implementation's own files, as `file:line (`let cache`)`. */
  moduleState: string[];
}

/** Source maps of the transpiled files, by absolute path, for `originalPosition`. */
const sourceMaps = new Map<string, SourceMap>();

/** Maps a 1-based line and column in a transpiled learner file back to its TypeScript source. */
export function originalPosition(file: string, line: number, column: number): { line: number; column: number } {
  const entry = sourceMaps.get(file)?.findEntry(line - 1, column - 1);
  if (entry === undefined || !("originalLine" in entry)) return { line, column };
  return { line: entry.originalLine + 1, column: entry.originalColumn + 1 };
}

/** Thrown when a file of the implementation cannot be read or transpiled. */
export class ModuleLoadError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = "ModuleLoadError";
  }
}

/** Transpiles and compiles the implementation's files and imports what they share. */
export async function loadModuleGraph(options: ModuleGraphOptions): Promise<ModuleGraph> {
  const compiled = new Map<string, CompiledFile>();
  const externals = new Map<string, unknown>();
  const pending = options.entries.map((entry) => locate(options, path.join(options.dir, entry)) ?? entry);
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (compiled.has(file)) continue;
    const unit = compile(file, options);
    compiled.set(file, unit);
    for (const target of unit.imports.values()) {
      if (target.kind === "internal") pending.push(target.file);
      else if (!externals.has(target.key)) externals.set(target.key, await importExternal(target.key));
    }
  }
  const roots = options.entries.map((entry) => locate(options, path.join(options.dir, entry)) ?? entry);
  const moduleState = [...compiled.keys()]
    .filter((file) => isInside(file, options.dir))
    .flatMap((file) => findModuleState(file));
  return {
    moduleState,
    instantiate(): Exports {
      const cache = new Map<string, { exports: Exports }>();
      const load = (file: string): Exports => {
        const cached = cache.get(file);
        if (cached !== undefined) return cached.exports;
        const unit = compiled.get(file) as CompiledFile;
        const module = { exports: {} as Exports };
        cache.set(file, module);
        const require = (specifier: string): unknown => {
          const target = unit.imports.get(specifier);
          if (target === undefined) throw new Error(`${file}: require('${specifier}') was not seen when loading`);
          return target.kind === "internal" ? load(target.file) : externals.get(target.key);
        };
        unit.run(module.exports, require, module);
        return module.exports;
      };
      const merged: Exports = {};
      for (const root of roots) Object.assign(merged, load(root));
      return merged;
    },
  };
}

function compile(file: string, options: ModuleGraphOptions): CompiledFile {
  let source: string;
  try {
    source = readFileSync(file, "utf8");
  } catch {
    throw new ModuleLoadError(file, `cannot read ${file}`);
  }
  let code: string;
  let map: string;
  try {
    const out = transformSync(source, {
      loader: "ts",
      format: "cjs",
      target: "node20",
      sourcemap: "external",
      sourcefile: file,
      logLevel: "silent",
    });
    code = out.code;
    map = out.map;
  } catch (error) {
    const first = (error as { errors?: Array<{ text: string; location?: { line: number; column: number } }> })
      .errors?.[0];
    const where = first?.location ? `:${first.location.line}:${first.location.column + 1}` : "";
    throw new ModuleLoadError(file, `${file}${where}: ${first?.text ?? String(error)}`);
  }
  sourceMaps.set(file, new SourceMap(JSON.parse(map) as SourceMapPayload));
  const run = vm.compileFunction(code, ["exports", "require", "module"], { filename: file }) as ModuleFunction;
  const imports: CompiledFile["imports"] = new Map();
  for (const match of code.matchAll(/\brequire\("([^"]+)"\)/g)) {
    const specifier = match[1] as string;
    if (!imports.has(specifier)) imports.set(specifier, resolve(file, specifier, options));
  }
  return { file, run, imports };
}

/** Where a `require(specifier)` in `from` leads: one of the implementation's files, or elsewhere. */
function resolve(
  from: string,
  specifier: string,
  options: ModuleGraphOptions,
): { kind: "internal"; file: string } | { kind: "external"; key: string } {
  if (!specifier.startsWith(".") && !specifier.startsWith("/")) return { kind: "external", key: specifier };
  const wanted = path.resolve(path.dirname(from), specifier);
  const own = [options.dir, options.fallbackDir].filter((d): d is string => d !== undefined);
  if (own.some((dir) => isInside(wanted, dir))) {
    // Only a sibling import goes through the overlay: a zoo entry that imports
    // "../../solution/register.ts" by path means the solution's file itself.
    const sibling = path.dirname(wanted) === path.dirname(from);
    const file = sibling ? locate(options, wanted) : withExtension(wanted);
    if (file === undefined) throw new ModuleLoadError(from, `${from}: cannot find '${specifier}'`);
    return { kind: "internal", file };
  }
  const file = withExtension(wanted);
  if (file === undefined) throw new ModuleLoadError(from, `${from}: cannot find '${specifier}'`);
  return { kind: "external", key: pathToFileURL(file).href };
}

/**
 * The file that `wanted` (a path in the implementation's folder or in the fallback folder) means:
 * a learner file is the implementation's own copy if it has one, else the fallback's.
 */
function locate(options: ModuleGraphOptions, wanted: string): string | undefined {
  const file = withExtension(wanted);
  const name = path.basename(file ?? wanted);
  const inOwnFolders =
    path.dirname(wanted) === options.dir ||
    (options.fallbackDir !== undefined && path.dirname(wanted) === options.fallbackDir);
  if (inOwnFolders && options.files.includes(name)) {
    const own = path.join(options.dir, name);
    if (existsSync(own)) return own;
    if (options.fallbackDir !== undefined) return path.join(options.fallbackDir, name);
  }
  return file;
}

/** `x.ts` as written, or `x.js` meaning `x.ts` (NodeNext style), or `x` meaning `x.ts` or `x/index.ts`. */
function withExtension(wanted: string): string | undefined {
  const candidates = [wanted, wanted.replace(/\.js$/, ".ts"), `${wanted}.ts`, path.join(wanted, "index.ts")];
  return candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
}

function isInside(file: string, dir: string): boolean {
  return file.startsWith(dir.endsWith(path.sep) ? dir : `${dir}${path.sep}`);
}

/** Imports a shared module once; a built-in that reaches the real world becomes a stand-in. */
async function importExternal(key: string): Promise<unknown> {
  const bare = key.replace(/^node:/, "");
  const isBuiltin = key.startsWith("node:") || builtinModules.includes(bare);
  const module = (await import(isBuiltin ? `node:${bare}` : key)) as Exports;
  if (!isBuiltin) return module;
  const guarded = REAL_WORLD_MODULES[bare.split("/")[0] as string];
  if (guarded === undefined) return module;
  return standIn(module, `${bare}.`, guarded);
}

type StandInRule = { instead: string; only?: readonly string[] };

/** The same advice for each of `names`. */
function insteadOf(names: readonly string[], instead: string): Record<string, StandInRule> {
  return Object.fromEntries(names.map((name) => [name, { instead }]));
}

/**
 * Built-ins lab code must not use in a simulated run, and what to use instead. For `crypto`, only
 * its randomness is the real world; hashes and ciphers are pure and stay usable.
 */
const REAL_WORLD_MODULES: Record<string, StandInRule> = {
  fs: { instead: "env.disk (read, write, fsync, rename, ...)" },
  ...insteadOf(["net", "http", "https", "http2", "dgram", "tls"], "env.net (request, send, onRequest)"),
  dns: { instead: "env.net (nodes are named by id)" },
  ...insteadOf(["child_process", "worker_threads", "cluster"], "the nodes the grader starts: each gets its own env"),
  timers: { instead: "env.clock.setTimer(ms, fn) or await env.clock.sleep(ms)" },
  perf_hooks: { instead: "env.clock.now()" },
  crypto: {
    instead: "env.rng (bytes, uuid, int)",
    only: ["randomBytes", "randomFillSync", "randomFill", "randomUUID", "randomInt", "getRandomValues", "webcrypto"],
  },
};

/** A copy of `module` whose real-world functions fail, naming the env call to use instead. */
function standIn(module: Exports, prefix: string, rule: StandInRule): Exports {
  const wrap = (value: unknown, name: string): unknown => {
    if (typeof value === "function") {
      return (..._args: unknown[]): never => {
        const violation = new DeterminismViolation(`${name}()`, rule.instead);
        reportViolation(violation);
        throw violation;
      };
    }
    if (typeof value === "object" && value !== null) {
      return new Proxy(value as Exports, {
        get: (target, key) => wrap(target[key as string], `${name}.${String(key)}`),
      });
    }
    return value;
  };
  const copy: Exports = {};
  for (const key of Object.keys(module)) {
    const value = module[key];
    const guarded = rule.only === undefined || rule.only.includes(key);
    copy[key] = guarded ? wrap(value, `${prefix}${key}`) : value;
  }
  if (module.default !== undefined && typeof module.default === "object") {
    copy.default = standIn(module.default as Exports, prefix, rule);
  }
  return copy;
}

/**
 * Module-level state in a learner's file: top-level `let` and `var`, and top-level constants that
 * start as an empty container (`new Map()`, `[]`, `{}`), to be filled while running. Such state
 * does not survive a restart, so when a part fails the report names it as a likely cause. A
 * constant table written out in full (`const SLOTS = ["a", "b"]`) is not named.
 */
function findModuleState(file: string): string[] {
  const found: string[] = [];
  const lines = readFileSync(file, "utf8").split("\n");
  const declaration =
    /^(?:export\s+)?(?:(let|var)\s+([A-Za-z_$][\w$]*)|const\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*(?:new\s+(?:Map|Set|Array|WeakMap)\b|\[\s*\]|\{\s*\}))/;
  for (const [i, line] of lines.entries()) {
    const match = declaration.exec(line);
    if (match === null) continue;
    const keyword = match[1] ?? "const";
    const name = match[2] ?? match[3];
    found.push(`${path.relative(process.cwd(), file)}:${i + 1} (\`${keyword} ${name}\`)`);
  }
  return found;
}
