/** Lab 00's manifest: what the grader needs to know about this lab. */
import { defineLab } from "#harness/grade/define.ts";
import type { RegisterModule } from "./tests/api.ts";
import { partA, partB, partC, partD } from "./tests/parts.ts";

export default defineLab<RegisterModule>({
  id: "00",
  title: "A durable register",
  summary: "save(value) and load() on a simulated disk that survive crashes, power loss, torn writes and fsync errors",
  learnerDir: "src",
  files: ["register.ts"],
  entry: "register.ts",
  exports: ["openRegister"],
  parts: [partA, partB, partC, partD],
});
