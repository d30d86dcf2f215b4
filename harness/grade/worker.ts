/**
 * A grading worker thread: loads the lab and the implementation once, then grades the parts (or
 * replays the runs) the main thread sends it, reporting each seed as it starts, each run as it
 * ends, and, during a long run, a heartbeat every `beatMs` of real time. The main thread watches
 * those reports; a worker that goes quiet has its event loop blocked by a loop that never yields,
 * and is terminated (see pool.ts). Running learner code off the main thread is what makes that
 * possible, and the flight recorder (flight-recorder.ts) keeps what happened up to that point.
 */
import { parentPort, workerData } from "node:worker_threads";
import { FlightRecorder } from "./flight-recorder.ts";
import { gradePart } from "./grade-part.ts";
import { guardRootsFor, loadImpl, loadLab } from "./labs.ts";
import { pictureOf, type RunPicture } from "./picture.ts";
import type { ToMain, ToWorker, WorkerData } from "./protocol.ts";
import { replayScenario, type ScenarioRun } from "./runner.ts";

const port = parentPort;
if (port === null) throw new Error("worker.ts must run in a worker thread");

const { slug, choice, recorder, beatMs } = workerData as WorkerData;
const send = (message: ToMain): void => port.postMessage(message);
// Captured before any run installs the determinism guard over the real clock.
const realNowMs = performance.now.bind(performance);

try {
  const lab = await loadLab(slug);
  const impl = await loadImpl(lab, choice);
  let jobId = 0;
  let lastBeatMs = realNowMs();
  const onProgress = (): void => {
    const now = realNowMs();
    if (now - lastBeatMs < beatMs) return;
    lastBeatMs = now;
    send({ type: "beat", jobId });
  };
  const settings = {
    guardRoots: guardRootsFor(choice),
    implDir: choice.dir,
    recorder: new FlightRecorder(recorder),
    onProgress,
  };
  port.on("message", (message: ToWorker) => {
    void handle(message).catch((error: unknown) => {
      send({
        type: "crashed",
        jobId: message.jobId,
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    });
  });

  async function handle(message: ToWorker): Promise<void> {
    const part = lab.manifest.parts.find((p) => p.id === message.partId);
    if (part === undefined) throw new Error(`no part ${message.partId}`);
    jobId = message.jobId;
    if (message.type === "grade") {
      const outcome = await gradePart(part, impl, message.seeds, {
        ...settings,
        shrink: message.shrink,
        onSeed: (seed) => send({ type: "seed", jobId: message.jobId, seed }),
        onRun: () => send({ type: "beat", jobId: message.jobId }),
      });
      send({ type: "graded", jobId: message.jobId, outcome });
    } else {
      send({ type: "seed", jobId: message.jobId, seed: message.seed });
      const { scenario, run } = await replayScenario(part, impl, message.seed, message.path, {
        ...settings,
        keepTrace: true,
        logLevel: "trace",
      });
      send({
        type: "replayed",
        jobId: message.jobId,
        verdict: run.verdict,
        scenarioLines: part.describe(scenario),
        trace: run.world.trace.keptLines() ?? [],
        simMs: run.simMs,
        events: run.events,
        ...(message.picture ? { picture: picture(run) } : {}),
      });
    }
  }
  send({ type: "ready" });
} catch (error) {
  send({ type: "loadFailed", message: error instanceof Error ? error.message : String(error) });
}

/** The replayed run as data for `lab replay --html`. */
function picture(run: ScenarioRun): RunPicture {
  const kept = run.world.trace.keptEntries() ?? { entries: [], omitted: 0 };
  return pictureOf(run.history, kept, run.verdict, run.simMs);
}
