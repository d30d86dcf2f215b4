/**
 * The `lab` command, end to end: spawned as a learner would run it, checked by exit code and output.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findLab } from "./grade/labs.ts";
import { shippedStubs } from "./grade/shipped.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const BIN = path.join(ROOT, "harness", "bin", "lab.mjs");
const LAB00 = "labs/00-durable-register";

function lab(...args: string[]) {
  const run = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function hashTree(dir: string): string {
  const hash = createHash("sha256");
  for (const name of readdirSync(dir).sort()) hash.update(name).update(readFileSync(path.join(dir, name)));
  return hash.digest("hex");
}

describe("lab grade", () => {
  it("--json prints exactly one JSON object with the documented fields, exit 0 when all parts pass", () => {
    const run = lab("grade", "00", "--solution", "--json", "--seeds", "20");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(Object.keys(report)).toEqual(["lab", "impl", "score", "maxScore", "parts"]);
    expect(report.lab).toBe("00");
    expect(report.score).toBe(report.maxScore);
    for (const part of report.parts) {
      expect(Object.keys(part)).toEqual(["id", "title", "points", "maxPoints", "passed", "seedsRun", "failures"]);
      expect(part.passed).toBe(true);
      expect(part.seedsRun).toBe(20);
    }
  });

  it("reports a bug-zoo entry's failure with a replay command that reproduces it, exit 1", () => {
    const run = lab("grade", "00", "--impl", `${LAB00}/bugs/fsync-retry`, "--part", "D", "--json");
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    const failure = report.parts[0].failures[0];
    expect(failure.message).toContain("lost write");
    expect(failure.replay).toMatch(/^npx lab replay 00 --part L0\.D --seed \d+( --path [\d:]+)? --impl /);

    const out = path.join(mkdtempSync(path.join(os.tmpdir(), "lab-replay-")), "trace.log");
    const args = failure.replay.replace(/^npx lab /, "").split(" ");
    const replay = lab(...args, "--out", out, "--html");
    expect(replay.code).toBe(1);
    expect(replay.stdout).toContain("lost write");
    const trace = readFileSync(out, "utf8");
    expect(trace).toContain("fsync register.tmp -> EIO");
    expect(trace).toMatch(/"msg":"fsync failed, retrying"/); // the lab code's own log line
    // --html draws the same run beside the trace, with the verdict in the report's words.
    const htmlFile = path.join(path.dirname(out), "trace.html");
    expect(replay.stdout).toContain(`Space-time diagram written to ${path.relative(ROOT, htmlFile)}`);
    const html = readFileSync(htmlFile, "utf8");
    expect(html).toContain("invariant broken: lost write");
    expect(html).toContain("fsync register.tmp -&gt; EIO");
    rmSync(path.dirname(out), { recursive: true });
  });

  it("the human report names the part, the broken invariant, the shrunk plan and the replay command", () => {
    const run = lab("grade", "00", "--impl", `${LAB00}/bugs/rename-without-dir-fsync`, "--part", "C");
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("── L0.C failed");
    expect(run.stdout).toContain("invariant broken: lost write");
    expect(run.stdout).toContain("loses power");
    expect(run.stdout).toMatch(/The scenario \(shrunk from \d+ fault events to 1\)/);
    expect(run.stdout).toContain("npx lab replay 00 --part L0.C --seed");
  });

  it("grades the learner's own files by default, whatever they hold, and never modifies them", () => {
    const before = hashTree(path.join(ROOT, LAB00, "src"));
    const run = lab("grade", "00", "--seeds", "5");
    // The stubs as shipped fail every part, a learner's finished work passes: both are fine here.
    expect([0, 1]).toContain(run.code);
    expect(run.stdout).toContain(`grading your implementation in ${LAB00}/src/`);
    expect(hashTree(path.join(ROOT, LAB00, "src"))).toBe(before);
    expect(existsSync(path.join(ROOT, ".lab", "results", "00-durable-register.json"))).toBe(true);
  });

  it("grades the stubs as shipped (read from git, not from the learner's src/) as not implemented", async () => {
    const stubs = shippedStubs(await findLab("00"));
    try {
      const run = lab("grade", "00", "--impl", stubs, "--seeds", "5");
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/L0\.A .* not implemented yet/);
      expect(run.stdout).toContain("L0.A is not implemented yet");
    } finally {
      if (stubs.includes(`${path.sep}.lab${path.sep}`)) rmSync(stubs, { recursive: true });
    }
  });

  it("a call that threw is shown as throwing, not as never completed; counts of one are singular", () => {
    const run = lab("grade", "00", "--impl", "harness/grade/fixtures/hazards/throws", "--part", "B", "--seeds", "3");
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/> +[\d.]+ms {2}client: save\("v\d[^"]*"\) threw TypeError: Cannot set properties/);
    expect(run.stdout).not.toContain("never completed");
    expect(run.stdout).toContain("failed on seed 1 (1 seed run)");
  });

  it("a replay names its trace file briefly, and a run that passes says it reproduces no failure", () => {
    const failing = lab("grade", "00", "--impl", "harness/grade/fixtures/hazards/throws", "--part", "B", "--json");
    const command = JSON.parse(failing.stdout).parts[0].failures[0].replay as string;
    expect(command).toMatch(/--path (\d+:){5,}/);
    const replay = lab(...command.replace(/^npx lab /, "").split(" "));
    expect(replay.code).toBe(1);
    const written = /written to (\S+)$/m.exec(replay.stdout)?.[1] as string;
    expect(path.basename(written)).toMatch(/^00-L0\.B-seed\d+-[0-9a-f]{8}\.log$/);
    rmSync(path.join(ROOT, written));

    const out = path.join(mkdtempSync(path.join(os.tmpdir(), "lab-replay-")), "trace.log");
    const passing = lab("replay", "00", "--part", "A", "--seed", "1", "--solution", "--out", out);
    expect(passing.code).toBe(0);
    expect(passing.stdout).toContain("L0.A seed 1: this run passes, so it reproduces no failure");
    expect(passing.stdout).not.toMatch(/: passed$/m);
    rmSync(path.dirname(out), { recursive: true });
  });

  it("stops a synchronous infinite loop with the watchdog, says so, and keeps the trace up to the loop", () => {
    const started = Date.now();
    const fixture = "harness/grade/fixtures/hazards/sync-loop";
    const run = lab("grade", "00", "--impl", fixture, "--part", "A", "--seeds", "3", "--workers", "1");
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /a loop never yielded: the event loop was blocked for 5 s of real time, with simulated time standing still at 1\.000ms/,
    );
    // The flight recorder's last lines: the call that never returned.
    expect(run.stdout).toMatch(
      /the last things that happened before the loop:\n.*\n +1\.000ms client op invoke save\("v1\|/,
    );
    expect(Date.now() - started).toBeLessThan(30_000);

    const out = path.join(mkdtempSync(path.join(os.tmpdir(), "lab-replay-")), "trace.log");
    const replay = lab("replay", "00", "--impl", fixture, "--part", "A", "--seed", "1", "--out", out);
    expect(replay.code).toBe(1);
    expect(replay.stdout).toContain("a loop never yielded");
    expect(replay.stdout).toMatch(/The last lines of the trace \(2 lines\) written to/);
    expect(readFileSync(out, "utf8")).toMatch(/\n1\.000ms client op invoke save\("v1\|[^\n]*\n$/);
    rmSync(path.dirname(out), { recursive: true });
  });
});

describe("lab: bad input gets one clear line and exit 2, never a stack trace", () => {
  const cases: Array<[string[], RegExp]> = [
    [["grade", "99"], /unknown lab '99'/],
    [["grade", "00", "--part", "Q"], /has no part 'Q'/],
    [["grade", "00", "--seed", "-1"], /--seed takes a whole number from 0 to \d+, not '-1'/],
    [["grade", "00", "--seed"], /--seed needs a value: --seed S/],
    [["grade", "00", "--seeds", "lots"], /--seeds takes a whole number/],
    [["grade", "00", "--frobnicate"], /unknown option --frobnicate for `lab grade`/],
    [["grade", "00", "--seeed", "3"], /unknown option --seeed for `lab grade`: did you mean --seed\?/],
    [["grade", "00", "--json=yes"], /--json takes no value/],
    [["grade", "00", "--seed", "1", "--seed", "2"], /--seed is given twice/],
    [["grade", "00", "--impl", "no/such/dir"], /--impl no\/such\/dir: no such folder/],
    [
      ["grade", "00", "--impl", "README.md"],
      /--impl README\.md is a file; --impl takes the folder that holds register\.ts/,
    ],
    [["grade", "00", "--impl", "harness"], /register\.ts is missing/],
    [["grade", "00", "--solution", "--impl", "x"], /either --solution or --impl/],
    [["grade", "00", "01"], /grade takes at most one lab; '01' is one too many/],
    [["status", "07"], /unknown lab '07'/],
    [["list", "07"], /unknown lab '07'/],
    [["list", "00", "01"], /one too many/],
    [["replay", "00", "--part", "A"], /replay needs --seed/],
    [["replay", "00", "--part", "A", "--seed", "1", "--json"], /unknown option --json for `lab replay`/],
    [["replay", "00", "--part", "A", "--seed", "1", "--path", "x"], /--path takes non-negative whole numbers/],
    [
      ["replay", "00", "--part", "A", "--seed", "1", "--path", "3:1"],
      /not a path the grader prints: they all start with 0/,
    ],
    [["replay", "00", "--part", "B", "--seed", "1", "--path", "0:100000"], /names no scenario of L0\.B seed 1/],
    [["replay", "00", "--part", "B", "--seed", "1", "--path", `${"0:".repeat(60)}5`], /names no scenario/],
    [["open", "07"], /unknown lab '07'/],
    [["open", "--port", "http"], /--port takes a whole number from 0 to 65535/],
    [["open", "--out", "README.md"], /--out README\.md is a file/],
    [["open", "--out", "labs/site"], /would write over the repository's own files/],
    [["open", "--out", "site", "--port", "80"], /either --out DIR .* or --port N/],
    [["help", "dance"], /no command 'dance'/],
    [["help", "grade", "extra"], /help takes at most one command; 'extra' is one too many/],
    [["dance"], /unknown command 'dance'/],
  ];
  for (const [args, message] of cases) {
    it(`lab ${args.join(" ")}`, () => {
      const run = lab(...args);
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      // Quotes come in pairs (Node's own messages left one open).
      expect((run.stderr.replace(/(\w)'(\w)/g, "$1$2").match(/'/g) ?? []).length % 2).toBe(0);
      expect((run.stderr.match(/`/g) ?? []).length % 2).toBe(0);
    });
  }

  it("a missing install is named, with the fix", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lab-bare-"));
    copyFileSync(BIN, path.join(dir, "lab.mjs"));
    const run = spawnSync(process.execPath, [path.join(dir, "lab.mjs"), "list"], { cwd: dir, encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("npm ci");
    rmSync(dir, { recursive: true });
  });
});

describe("lab help", () => {
  for (const command of ["list", "status", "grade", "replay", "open", "help"]) {
    it(`lab ${command} --help prints its own usage, exit 0`, () => {
      const run = lab(command, "--help");
      expect(run.code).toBe(0);
      expect(run.stderr).toBe("");
      expect(run.stdout.startsWith(`npx lab ${command}`)).toBe(true);
      expect(run.stdout).not.toMatch(/positional/i);
    });
  }

  it("the overview lists every option grade accepts, --workers included", () => {
    const overview = lab("help").stdout;
    const options = [...lab("grade", "--help").stdout.matchAll(/^ {2}(--[\w-]+)/gm)].map((m) => m[1] as string);
    expect(options).toContain("--workers");
    for (const option of options) expect(overview).toContain(option);
    expect(lab("help", "replay").stdout).toBe(lab("replay", "-h").stdout);
  });
});

describe("lab deep-check", () => {
  it("grades the solution on the seeds asked, part by part; a bug is reported with its replay command", () => {
    const run = lab("deep-check", "00", "--seeds", "20", "--part", "B");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/✓ L0\.B {2}passed 20 seeds/);
    const bug = lab("deep-check", "00", "--seeds", "40", "--part", "B", "--impl", `${LAB00}/bugs/in-memory`);
    expect(bug.code).toBe(1);
    expect(bug.stdout).toMatch(/✗ L0\.B {2}FAILED on seed \d+/);
    expect(bug.stdout).toContain("Replay it: npx lab replay 00 --part L0.B --seed");
  });

  it("needs a lab, and says so in one line", () => {
    const run = lab("deep-check");
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("lab list and lab status", () => {
  it("list shows every lab and part", () => {
    const run = lab("list");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("00  A durable register");
    for (const id of ["L0.A", "L0.B", "L0.C", "L0.D"]) expect(run.stdout).toContain(id);
  });

  it("list LAB and status LAB show that lab only", () => {
    for (const command of ["list", "status"]) {
      const run = lab(command, "01");
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^01 {2}Log storage/);
      expect(run.stdout).not.toContain("00  A durable register");
    }
  });

  it("status shows each part's state for the learner's implementation", () => {
    const run = lab("status");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/00 {2}A durable register: \d+\/100 points/);
    expect(run.stdout).toContain("L0.C");
  });
});

describe("the ways to start `lab`", () => {
  it("package.json's bin and `npm run lab` point at the launcher that exists", () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      bin: Record<string, string>;
      scripts: Record<string, string>;
    };
    expect(existsSync(path.join(ROOT, manifest.bin.lab as string))).toBe(true);
    const script = /^node (\S+)$/.exec(manifest.scripts.lab as string)?.[1];
    expect(script).toBeDefined();
    expect(existsSync(path.join(ROOT, script as string))).toBe(true);
  });

  it("every dependency with an install script is reviewed in allowScripts (so `npm ci` prints no warning)", () => {
    // npm 11.16+ lists, after every install, each package whose install script package.json's
    // allowScripts does not cover. Entries are by name: the lockfile keeps no "resolved" URL, and
    // npm cannot pin a version without one.
    const manifest = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      allowScripts?: Record<string, boolean>;
    };
    const lock = JSON.parse(readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { hasInstallScript?: boolean }>;
    };
    const withScripts = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript === true)
      .map(([where]) => where.slice(where.lastIndexOf("node_modules/") + "node_modules/".length));
    expect(withScripts.length).toBeGreaterThan(0);
    for (const name of withScripts) expect(manifest.allowScripts?.[name], name).toBeTypeOf("boolean");
  });

  it("`npm run lab -- list` lists the labs", () => {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const run = spawnSync(npm, ["run", "--silent", "lab", "--", "list"], { cwd: ROOT, encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("00  A durable register");
  });

  it("a reader that closes the pipe early (`lab list | head -1`) gets no EPIPE stack", async () => {
    const child = spawn(process.execPath, [BIN, "list"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on("close", (status) => resolve(status)));
    expect(stderr).not.toContain("EPIPE");
    expect(code).toBe(0);
  });
});

describe("lab grade --real-db", () => {
  it("only labs 03 and 04 have one: another lab says so in one line, exit 2", () => {
    const run = lab("grade", "01", "--real-db");
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("lab: lab 01 has no real-database part (labs 03 and 04 have one)");
  });

  it("a REDIS_URL or DATABASE_URL that does not answer: one line naming it, no stack trace, exit 2", () => {
    const env = { ...process.env, REDIS_URL: "redis://127.0.0.1:1", DATABASE_URL: "" };
    const redis = spawnSync(process.execPath, [BIN, "grade", "04", "--real-db", "--solution"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60_000,
      env,
    });
    expect(redis.status).toBe(2);
    expect(redis.stderr).toMatch(/^lab: Redis at 127\.0\.0\.1:1 \(REDIS_URL\) does not answer: .*ECONNREFUSED.*$/m);
    expect(redis.stderr).not.toMatch(/^\s+at /m);
    const db = spawnSync(process.execPath, [BIN, "grade", "03", "--real-db", "--solution"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60_000,
      env: { ...env, REDIS_URL: "", DATABASE_URL: "postgres://postgres@127.0.0.1:1/test" },
    });
    expect(db.status).toBe(2);
    expect(db.stderr).toMatch(
      /^lab: PostgreSQL at 127\.0\.0\.1:1\/test \(DATABASE_URL\) does not answer: .*ECONNREFUSED/m,
    );
    expect(db.stderr).not.toMatch(/^\s+at /m);
  });

  it("takes no seeds or parts: fixed scenarios, one line naming what to leave out, exit 2", () => {
    const run = lab("grade", "03", "--real-db", "--seed", "3", "--json");
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("lab: --real-db runs fixed scenarios in real time: leave out --seed and --json");
  });
});
