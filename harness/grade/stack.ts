/**
 * Reading stack traces: which frames are the learner's, and which promise an unhandled rejection
 * came from.
 *
 * Learner files run transpiled (modules.ts), so a frame in one is mapped back to the line the
 * learner wrote. V8 adds `at async fn (...)` frames for the async functions awaiting the one that
 * threw: the outermost of them is the function whose promise the error rejected last, the promise
 * that nobody awaited.
 */
import path from "node:path";
import { originalPosition } from "./modules.ts";

interface Frame {
  fn: string | undefined;
  file: string;
  line: number;
  column: number;
  isAsync: boolean;
}

const LEARNER_FRAMES_MAX = 6;

function stackFrames(error: unknown): Frame[] {
  if (!(error instanceof Error) || error.stack === undefined) return [];
  const frames: Frame[] = [];
  for (const text of error.stack.split("\n").slice(1)) {
    const match = /^\s*at (?:(.+?) \()?(?:file:\/\/)?(\/[^():]+):(\d+):(\d+)\)?\s*$/.exec(text);
    if (!match) continue;
    const [, fn, file, line, column] = match as unknown as [string, string | undefined, string, string, string];
    frames.push({
      fn: fn?.replace(/^async /, ""),
      file,
      line: Number(line),
      column: Number(column),
      isAsync: fn?.startsWith("async ") ?? false,
    });
  }
  return frames;
}

function isInside(file: string, roots: readonly string[]): boolean {
  return roots.some((root) => file.startsWith(root.endsWith("/") ? root : `${root}/`));
}

/** `src/register.ts:12:5`, relative to cwd, at the line the learner wrote. */
function location(frame: Frame): string {
  const at = originalPosition(frame.file, frame.line, frame.column);
  return `${path.relative(process.cwd(), frame.file)}:${at.line}:${at.column}`;
}

/** The stack frames that point into lab code, as `file.ts:12:5 (functionName)`, relative to cwd. */
export function learnerFrames(error: unknown, codeRoots: readonly string[]): string[] {
  return stackFrames(error)
    .filter((frame) => isInside(frame.file, codeRoots))
    .slice(0, LEARNER_FRAMES_MAX)
    .map((frame) => (frame.fn ? `${location(frame)} (${frame.fn})` : location(frame)));
}

/**
 * Which promise an unhandled rejection came from, and where it was made, for "your code threw in
 * ...": the promise of the outermost async function awaiting the throw. When that function is
 * the harness's (a workload that called the learner's code and let its promise go), the learner's
 * outermost function is named too: its promise is the one the learner handed over.
 */
export function unawaitedPromise(error: unknown, codeRoots: readonly string[]): string {
  const frames = stackFrames(error);
  const named = (frame: Frame) => `${frame.fn ?? "an async function"} (${location(frame)})`;
  const owner = frames.filter((frame) => frame.isAsync).at(-1);
  if (owner === undefined) {
    // No async caller: the promise is the one the throwing function returned, or one it made.
    const thrower = frames.find((frame) => isInside(frame.file, codeRoots));
    return thrower === undefined
      ? "a promise nobody awaited"
      : `a promise nobody awaited, rejected in ${named(thrower)}`;
  }
  if (isInside(owner.file, codeRoots)) return `the promise of ${named(owner)}, which nobody awaited`;
  const handed = frames.filter((frame) => isInside(frame.file, codeRoots)).at(-1);
  if (handed === undefined) return `the promise of ${named(owner)}, which nobody awaited`;
  return `the promise your ${named(handed)} returned to ${named(owner)}, which nobody awaited`;
}
