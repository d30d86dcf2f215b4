/**
 * A lab's bug zoo as data: `labs/NN-name/bugs/zoo.json` lists every entry (a folder of bugs/)
 * with the parts that must catch it at default depth and the anomaly (or verdict kind) each
 * report leads with, in groups a reader can scan ("L4.B: the effect and its mark"). The lab suite
 * checks every line (lab-suite.ts); `npx tsx harness/tools/tabulate-zoo.ts NN --write` grades the
 * entries and writes what it found back, so the file is never typed in by hand.
 *
 * Data, not code: the tables of five labs have the same shape by nature, and a JSON file is what
 * both the suite and the tool read and the tool writes.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/** A bug-zoo entry: a folder under the lab's bugs/, and what the grader must say of it. */
export interface ZooEntry {
  name: string;
  /** Every part that fails, with the name of the anomaly its report leads with (or the verdict kind). */
  caughtBy: Record<string, string>;
}

export interface ZooGroup {
  /** What the group's entries get wrong: "L4.A: the business key". */
  title: string;
  entries: ZooEntry[];
}

export interface ZooFile {
  groups: ZooGroup[];
}

export function zooPath(labDir: string): string {
  return path.join(labDir, "bugs", "zoo.json");
}

/** The zoo file of the lab in `labDir`, checked for shape (a clear error names what is wrong). */
export function readZooFile(labDir: string): ZooFile {
  const file = zooPath(labDir);
  if (!existsSync(file))
    throw new Error(`${file} does not exist: every lab with a bugs/ folder lists its entries there`);
  const data: unknown = JSON.parse(readFileSync(file, "utf8"));
  const groups = (data as { groups?: unknown }).groups;
  if (!Array.isArray(groups)) throw new Error(`${file}: expected { "groups": [...] }`);
  for (const group of groups as ZooGroup[]) {
    if (typeof group.title !== "string" || !Array.isArray(group.entries))
      throw new Error(`${file}: each group needs a "title" and "entries"`);
    for (const entry of group.entries) {
      const verdicts = Object.values(entry.caughtBy ?? {});
      if (typeof entry.name !== "string" || verdicts.some((v) => typeof v !== "string"))
        throw new Error(`${file}: each entry needs a "name" and "caughtBy": { "L0.A": "lost write" }`);
    }
  }
  return { groups: groups as ZooGroup[] };
}

/** Every entry of the lab's zoo, in the file's order. */
export function readZoo(labDir: string): ZooEntry[] {
  return readZooFile(labDir).groups.flatMap((group) => group.entries);
}

/** Writes `zoo` as the lab's zoo file: one entry a line, so that a diff shows what changed. */
export function writeZooFile(labDir: string, zoo: ZooFile): void {
  const groups = zoo.groups.map((group) => {
    const entries = group.entries.map((e) => `        ${JSON.stringify({ name: e.name, caughtBy: e.caughtBy })}`);
    return `    {\n      "title": ${JSON.stringify(group.title)},\n      "entries": [\n${entries.join(",\n")}\n      ]\n    }`;
  });
  writeFileSync(zooPath(labDir), `{\n  "groups": [\n${groups.join(",\n")}\n  ]\n}\n`);
}
