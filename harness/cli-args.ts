/**
 * The `lab` command's arguments: each command declares its options once, and that one table both
 * parses the command line and prints the usage, so the two cannot drift apart.
 *
 * Why not node:util's parseArgs: its errors are written for programmers ("Option '--seed' argument
 * is ambiguous", unbalanced quotes, advice to pass "--help" as a positional). A learner who typed
 * `--seed -1` or `--seeed 3` needs one line that names the fix, so this parser is small and says
 * exactly that. It knows `--name value`, `--name=value`, boolean `--name`, `--help`/`-h`, and `--`.
 */
import { BadInput } from "./grade/labs.ts";

export interface OptionSpec {
  /** Without the dashes: "seed", "no-shrink". */
  name: string;
  /** The value's placeholder in the usage ("S", "DIR"); absent for a flag without a value. */
  value?: string;
  /** The option may be given several times (its values are collected). */
  multiple?: boolean;
  /** One line for the usage. */
  help: string;
}

export interface CommandSpec {
  name: string;
  /** How to call it, without `npx lab`: "grade [LAB] [options]". */
  synopsis: string;
  /** One line: what it does. */
  summary: string;
  /** Positional arguments: at least `min`, at most `max`, each a `noun` ("lab"); `missing` says what to add. */
  positionals: { min: number; max: number; noun: string; missing: string };
  options: OptionSpec[];
  /** Lines printed after the options in the command's own usage. */
  notes?: string[];
}

export interface ParsedArgs {
  positionals: string[];
  /** String options: their values (one unless the option is `multiple`). */
  strings: Map<string, string[]>;
  /** Flags that were given. */
  flags: Set<string>;
  help: boolean;
}

/** Parses one command's arguments; every mistake is a `BadInput` that names the fix. */
export function parseCommandArgs(spec: CommandSpec, args: readonly string[]): ParsedArgs {
  const parsed: ParsedArgs = { positionals: [], strings: new Map(), flags: new Set(), help: false };
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  const seeHelp = `see \`npx lab ${spec.name} --help\``;
  let onlyPositionals = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (onlyPositionals || arg === "-" || !arg.startsWith("-") || /^-\d/.test(arg)) {
      // A lone number such as "-1" is a (wrong) value, not an option: the positional check or the
      // option's own validation will say what is wrong with it.
      parsed.positionals.push(arg);
      continue;
    }
    if (arg === "--") {
      onlyPositionals = true;
      continue;
    }
    if (arg === "--help" || arg === "-h") {
      parsed.help = true;
      continue;
    }
    const equals = arg.indexOf("=");
    const name = (equals === -1 ? arg : arg.slice(0, equals)).replace(/^--?/, "");
    const option = arg.startsWith("--") ? byName.get(name) : undefined;
    if (option === undefined) throw new BadInput(unknownOption(spec, arg.slice(0, equals === -1 ? undefined : equals)));
    if (option.value === undefined) {
      if (equals !== -1) throw new BadInput(`--${name} takes no value (${seeHelp})`);
      parsed.flags.add(name);
      continue;
    }
    let value: string;
    if (equals !== -1) value = arg.slice(equals + 1);
    else {
      const next = args[i + 1];
      if (next === undefined || isOptionLike(next, byName))
        throw new BadInput(`--${name} needs a value: --${name} ${option.value} (${seeHelp})`);
      value = next;
      i++;
    }
    const values = parsed.strings.get(name) ?? [];
    if (values.length > 0 && option.multiple !== true)
      throw new BadInput(`--${name} is given twice ('${values[0]}' and '${value}'): give it once`);
    parsed.strings.set(name, [...values, value]);
  }
  if (parsed.help) return parsed;
  const { min, max, noun, missing } = spec.positionals;
  if (parsed.positionals.length < min) throw new BadInput(`${missing} (${seeHelp})`);
  if (parsed.positionals.length > max) {
    const extra = parsed.positionals.slice(max);
    const what = max === 0 ? "takes no arguments" : `takes at most ${max === 1 ? `one ${noun}` : `${max} ${noun}s`}`;
    const tooMany = extra.length === 1 ? "is one too many" : "are too many";
    throw new BadInput(`${spec.name} ${what}; '${extra.join(" ")}' ${tooMany} (${seeHelp})`);
  }
  return parsed;
}

/** Whether the token after a value-taking option is really the next option (a value was forgotten). */
function isOptionLike(token: string, known: ReadonlyMap<string, OptionSpec>): boolean {
  if (token === "--help" || token === "-h" || token === "--") return true;
  return token.startsWith("--") && known.has(token.slice(2).split("=")[0] as string);
}

function unknownOption(spec: CommandSpec, given: string): string {
  const bare = given.replace(/^-+/, "");
  const names = spec.options.map((o) => o.name);
  const guess = names
    .map((name) => ({ name, distance: editDistance(bare, name) }))
    .filter((c) => c.distance <= 2)
    .sort((a, b) => a.distance - b.distance)[0];
  const hint =
    guess !== undefined
      ? `did you mean --${guess.name}?`
      : names.length === 0
        ? `${spec.name} takes no options`
        : `its options are ${names.map((n) => `--${n}`).join(", ")}`;
  return `unknown option ${given} for \`lab ${spec.name}\`: ${hint} (see \`npx lab ${spec.name} --help\`)`;
}

/** Levenshtein distance, for "did you mean": option names are short, so the quadratic table is fine. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

export const OPTION_COLUMN_WIDTH = 30;

/** The lines that describe a command's options, aligned. */
export function optionLines(spec: CommandSpec, indent: string): string[] {
  return spec.options.map((o) => {
    const left = `--${o.name}${o.value === undefined ? "" : ` ${o.value}`}`;
    return `${indent}${left.padEnd(OPTION_COLUMN_WIDTH)}${o.help}`;
  });
}

/** A command's own usage, as `npx lab COMMAND --help` prints it. */
export function commandUsage(spec: CommandSpec): string {
  const lines = [`npx lab ${spec.synopsis}`, "", `  ${spec.summary}`];
  if (spec.options.length > 0) lines.push("", "Options:", ...optionLines(spec, "  "));
  if (spec.notes !== undefined) lines.push("", ...spec.notes);
  return lines.join("\n");
}
