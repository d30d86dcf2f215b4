/**
 * Serving the site on this machine only (127.0.0.1): each request draws its page from the site's
 * table, so the results pages show the latest grade on reload. No directory outside the site's own
 * entries is reachable: a path not in the table is a 404, whatever dots it holds.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { BadInput } from "../grade/labs.ts";
import type { Site } from "./build.ts";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".jpg": "image/jpeg",
  ".gif": "image/gif",
  ".json": "application/json",
  ".log": "text/plain; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/plain; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
};

export interface Served {
  /** http://127.0.0.1:PORT/ */
  url: string;
  close(): Promise<void>;
}

/** Starts serving; a port in use or not allowed is a BadInput, said in one line. */
export function serveSite(site: Site, port: number): Promise<Served> {
  const server = http.createServer((request, response) => {
    const wanted = sitePathOf(request.url ?? "/");
    const entry = site.entries.get(wanted) ?? site.entries.get(`${wanted.replace(/\/$/, "")}/index.html`);
    if (entry === undefined || (request.method !== "GET" && request.method !== "HEAD")) {
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      response.end(`not part of the lab site: /${wanted}\n`);
      return;
    }
    const name = entry.kind === "file" ? entry.path : wanted;
    const body = entry.kind === "file" ? readFileSync(entry.path) : entry.kind === "page" ? entry.render() : entry.text;
    response.writeHead(200, {
      "content-type": TYPES[path.extname(name)] ?? "application/octet-stream",
      "cache-control": "no-store",
    });
    response.end(request.method === "HEAD" ? undefined : body);
  });
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE")
        reject(new BadInput(`port ${port} is in use: pick another with --port N (or --port 0 for any free one)`));
      else if (error.code === "EACCES")
        reject(new BadInput(`port ${port} needs privileges: pick one above 1023 with --port N`));
      else reject(new BadInput(`cannot serve on 127.0.0.1:${port}: ${error.message}`));
    });
    server.listen(port, "127.0.0.1", () => {
      const { port: bound } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${bound}/`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** A request's path as a site path: no leading slash, no query, `/` for the home page. */
function sitePathOf(url: string): string {
  const pathname = new URL(url, "http://site").pathname;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    decoded = pathname;
  }
  const trimmed = decoded.replace(/^\/+/, "");
  return trimmed === "" ? "index.html" : trimmed;
}
