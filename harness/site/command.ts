/**
 * `lab open [LAB]`: the guides, the annotated solutions and the learner's results in a browser,
 * served from this machine or written as static files. Nothing is fetched from the network: the
 * libraries the pages need (Mermaid, the highlighting stylesheet) are copied into the site.
 */
import { existsSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";
import type { CommandSpec, ParsedArgs } from "../cli-args.ts";
import { BadInput, findLab, listLabs, REPO_ROOT, relative } from "../grade/labs.ts";
import { RESULTS_DIR } from "../grade/results.ts";
import { buildSite, writeSite } from "./build.ts";
import { serveSite } from "./serve.ts";

const DEFAULT_PORT = 4173;
const PORT_MAX = 65_535;
/** The repository's folders the site may not be written into (the learner's files are in labs/). */
const PROTECTED = ["labs", "harness", "docs", "node_modules", ".git"];

export const OPEN: CommandSpec = {
  name: "open",
  synopsis: "open [LAB] [--port N | --out DIR]",
  summary: "read the guides and annotated solutions in your browser, with your results",
  positionals: { min: 0, max: 1, noun: "lab", missing: "" },
  options: [
    { name: "port", value: "N", help: `serve on 127.0.0.1 port N (default ${DEFAULT_PORT}; 0 for any free one)` },
    { name: "out", value: "DIR", help: "write the site as static files into DIR instead of serving it" },
  ],
  notes: [
    "The site works offline: open its pages from the server or straight from DIR.",
    "Your results page reads .lab/results/ and .lab/replays/ (the server rereads them on each reload).",
  ],
};

export interface OpenOptions {
  root?: string;
  resultsDir?: string;
  replaysDir?: string;
  /** Called once the server listens (tests stop it here); by default it runs until Ctrl-C. */
  onServing?: (url: string, stop: () => Promise<void>) => void;
}

export async function openCommand(args: ParsedArgs, options: OpenOptions = {}): Promise<number> {
  const named = args.positionals[0];
  const lab = named === undefined ? null : await findLab(named);
  const out = args.strings.get("out")?.[0];
  const portText = args.strings.get("port")?.[0];
  if (out !== undefined && portText !== undefined)
    throw new BadInput("use either --out DIR (static files) or --port N (a server), not both");
  const port = portText === undefined ? DEFAULT_PORT : parsePort(portText);
  const outDir = out === undefined ? null : checkedOutDir(out);

  const started = performance.now();
  const root = options.root ?? REPO_ROOT;
  const site = buildSite({
    root,
    labs: await listLabs(),
    resultsDir: options.resultsDir ?? RESULTS_DIR,
    replaysDir: options.replaysDir ?? path.join(root, ".lab", "replays"),
  });
  const start = lab === null ? "index.html" : site.labUrl(lab);

  if (outDir !== null) {
    let count: number;
    try {
      count = writeSite(site, outDir);
    } catch (error) {
      throw new BadInput(`cannot write the site into ${out}: ${reason(error)}`);
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`Wrote the lab site (${count} files, ${seconds} s) to ${shown(outDir)}${path.sep}`);
    console.log(`Open ${shown(path.join(outDir, ...start.split("/")))} in a browser; it needs no network.`);
    return 0;
  }

  const served = await serveSite(site, port);
  console.log(`Serving the lab site at ${served.url}${start === "index.html" ? "" : start} (Ctrl-C stops it)`);
  return new Promise<number>((resolve) => {
    const stop = async () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      await served.close();
      resolve(0);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    options.onServing?.(served.url, stop);
  });
}

/** A path as the learner would type it: relative when under the current folder, else absolute. */
function shown(target: string): string {
  const rel = relative(target);
  return rel.startsWith("..") ? target : rel;
}

function parsePort(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > PORT_MAX)
    throw new BadInput(`--port takes a whole number from 0 to ${PORT_MAX}, not '${text}'`);
  return Number(text);
}

/**
 * DIR made ready to write into. The site mirrors the repository's layout (labs/NN-name/...), so it
 * may not be written over the repository itself, where it would land beside the learner's files.
 */
function checkedOutDir(out: string): string {
  const dir = path.resolve(out);
  const within = (outer: string) => {
    const rel = path.relative(outer, dir);
    return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
  };
  // The repository itself, or a folder holding it, would get labs/NN-name/index.html and the rest.
  const holdsRepo = !path.relative(dir, REPO_ROOT).startsWith("..");
  const overRepo = holdsRepo || PROTECTED.some((folder) => within(path.join(REPO_ROOT, folder)));
  if (overRepo)
    throw new BadInput(
      `--out ${out} would write over the repository's own files: pick a folder outside it, or under .lab/`,
    );
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new BadInput(`--out ${out} is a file: --out takes a folder`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new BadInput(`cannot write the site into ${out}: ${reason(error)}`);
  }
  return dir;
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "ENOTDIR") return "a part of that path is a file, not a folder";
  if (code === "EROFS") return "the file system is read-only";
  if (code === "ENOSPC") return "no space left on the device";
  return error instanceof Error ? error.message : String(error);
}
