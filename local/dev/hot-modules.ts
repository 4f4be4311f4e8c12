import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  watch,
  writeFileSync,
  type FSWatcher,
} from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * `npm run dev`'s module loader: each entry (a handler under functions/, the user functions module) is
 * bundled by esbuild with its own modules (shared/**, the user's files) into one file named by a hash of
 * its content, and imported from there. ESM modules cannot be unloaded, so a changed entry is imported
 * again under a new name, which evaluates every module it bundles afresh (a fresh import of the entry alone
 * would keep the shared modules it had). Packages stay external (one copy of the AWS SDK for all), except
 * those listed in `bundled`, and each bundle is evaluated with its own `isolatedGlobals`: zod keeps its
 * registry of schema ids on globalThis, and two bundles' schemas with the same id (every model) would make
 * the OpenAPI document fail; on Lambda each function is alone in its process.
 *
 * The watched folders (fs.watch, recursive) mark an entry stale when a file it bundled changes (debounced);
 * the next `load` rebuilds it, and imports it again only if the bundle changed. A build that fails keeps the
 * previous version running and says why. Old versions stay in memory until the process exits.
 */
export interface HotModulesOptions {
  /** Folders whose changes reload the entries that bundle them. */
  watch: string[];
  /** Where bundles are written: inside the repository, so their package imports resolve to its node_modules. */
  outDir: string;
  log: (message: string, fields?: Record<string, unknown>) => void;
  /** Quiet time after the last change before entries are marked stale. */
  debounceMs?: number;
  /** The package.json whose dependencies stay external. */
  packageJson: string;
  /** Packages bundled into each entry instead (module-level state that must not be shared). */
  bundled: string[];
  /** globalThis properties each bundle gets afresh while it is evaluated (then the previous value is back). */
  isolatedGlobals: string[];
}

export interface HotModules {
  /** The entry's module as it is now (rebuilt when a file it bundles changed since the last load). */
  load(entry: string): Promise<Record<string, unknown>>;
  /** How many times entries were imported again after a change (for the banner and tests). */
  reloads(): number;
  close(): Promise<void>;
}

interface Loaded {
  hash: string;
  module: Record<string, unknown>;
  inputs: Set<string>;
  stale: boolean;
}

const isFolder = (path: string) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

const relative = (path: string) => path.replace(process.cwd() + "/", "");

export function hotModules(options: HotModulesOptions): HotModules {
  const outDir = resolve(options.outDir);
  const manifest = JSON.parse(readFileSync(options.packageJson, "utf8")) as Record<string, Record<string, string>>;
  const external = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })
    .filter((name) => !options.bundled.includes(name))
    .flatMap((name) => [name, `${name}/*`]);
  mkdirSync(outDir, { recursive: true });
  const loaded = new Map<string, Loaded>();
  const loading = new Map<string, Promise<Record<string, unknown>>>();
  let reloadCount = 0;

  // One evaluation at a time, so no other module sees the globals while they are set aside.
  let evaluating: Promise<unknown> = Promise.resolve();
  const isolated = <T>(load: () => Promise<T>): Promise<T> => {
    const run = evaluating.then(async () => {
      const global = globalThis as Record<string, unknown>;
      const saved = options.isolatedGlobals.map((name) => [name, global[name]] as const);
      for (const [name] of saved) delete global[name];
      try {
        return await load();
      } finally {
        for (const [name, value] of saved) {
          if (value === undefined) delete global[name];
          else global[name] = value;
        }
      }
    });
    evaluating = run.catch(() => undefined);
    return run;
  };

  let changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    const paths = changed;
    changed = new Set();
    for (const [entry, current] of loaded) {
      if (current.stale) continue;
      if ([...paths].some((p) => current.inputs.has(p))) {
        current.stale = true;
        options.log(`changed: ${relative(entry)} reloads on its next invocation`);
      }
    }
  };
  // One watcher per folder: Node's recursive watch on Linux loses a file that an editor replaces (a rename,
  // as `sed -i` and many editors save), while a folder's watcher reports every name in it.
  const watchers = new Map<string, FSWatcher>();
  const watchFolder = (dir: string) => {
    if (watchers.has(dir) || /(^|\/)(node_modules|\.cache|\.data|\.git|cdk\.out)$/.test(dir)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (_event, name) => {
        if (!name) return;
        const path = join(dir, name.toString());
        if (isFolder(path)) watchFolder(path);
        changed.add(path);
        clearTimeout(timer);
        timer = setTimeout(flush, options.debounceMs ?? 50);
      });
    } catch {
      return; // removed meanwhile
    }
    watcher.on("error", () => {
      watcher.close();
      watchers.delete(dir);
    });
    watchers.set(dir, watcher);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) watchFolder(join(dir, entry.name));
    }
  };
  for (const dir of options.watch) if (existsSync(dir)) watchFolder(resolve(dir));

  async function build(entry: string): Promise<Record<string, unknown>> {
    const { build } = await import("esbuild");
    const started = Date.now();
    const previous = loaded.get(entry);
    let result;
    try {
      result = await build({
        entryPoints: [entry],
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        external,
        sourcemap: "inline",
        metafile: true,
        write: false,
        logLevel: "silent",
      });
    } catch (error) {
      if (!previous) throw error;
      options.log(`${relative(entry)} does not build; still running the previous version`, {
        error: (error as Error).message.split("\n").slice(0, 3).join(" "),
      });
      previous.stale = false; // until its files change again
      return previous.module;
    }
    const text = result.outputFiles[0]!.text;
    const inputs = new Set(Object.keys(result.metafile.inputs).map((p) => resolve(p)));
    const hash = createHash("sha256").update(text).digest("hex").slice(0, 16);
    if (previous && previous.hash === hash) {
      Object.assign(previous, { inputs, stale: false });
      return previous.module;
    }
    const file = join(outDir, `${basename(entry, extname(entry))}-${hash}.mjs`);
    if (!existsSync(file)) writeFileSync(file, text);
    const module = await isolated(() => import(pathToFileURL(file).href) as Promise<Record<string, unknown>>);
    loaded.set(entry, { hash, module, inputs, stale: false });
    if (previous) {
      reloadCount++;
      options.log(`reloaded ${relative(entry)}`, { ms: Date.now() - started });
    }
    return module;
  }

  return {
    load(entryPath) {
      const entry = resolve(entryPath);
      const current = loaded.get(entry);
      if (current && !current.stale) return Promise.resolve(current.module);
      let pending = loading.get(entry);
      if (!pending) {
        pending = build(entry).finally(() => loading.delete(entry));
        loading.set(entry, pending);
      }
      return pending;
    },
    reloads: () => reloadCount,
    async close() {
      clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/**
 * Removes the bundle folders (named by process id) of runtimes that are no longer running: a runtime removes
 * its own when it stops, but not when it is killed.
 */
export function pruneStaleBundles(parent: string): void {
  if (!existsSync(parent)) return;
  for (const entry of readdirSync(parent, { withFileTypes: true })) {
    const pid = Number(entry.name);
    if (!entry.isDirectory() || !Number.isInteger(pid) || pid <= 0 || isRunning(pid)) continue;
    rmSync(join(parent, entry.name), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
