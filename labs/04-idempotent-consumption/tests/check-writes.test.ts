/** The write checker: a handler's transactions write the claim's inbox row and the effect's rows, nothing else. */
import { describe, expect, it } from "vitest";
import type { RowWrite } from "#harness/db-session.ts";
import type { TransactionRecord } from "#harness/sim/db.ts";
import { TABLES } from "../provided.ts";
import { checkWrites } from "./check-writes.ts";

function tx(id: number, nodeId: string, writes: TransactionRecord["writes"]): TransactionRecord {
  return { id, nodeId, incarnation: 1, beganAtMs: 1, endedAtMs: 2, outcome: "committed", reason: "committed", writes };
}

const effect: RowWrite[] = [
  { table: TABLES.balances, key: "alice", row: { cents: 500 } },
  { table: TABLES.ledger, key: "c1#1/1", row: { orderId: "o1" } },
];
const keys = new Set(["o1/1"]);

describe("the write checker", () => {
  it("passes a claim at the business key with its effect, and other nodes' writes", () => {
    const committed = [
      tx(1, "c1", [{ table: TABLES.inbox, key: "o1/1", row: true }, ...effect]),
      tx(2, "setup", [{ table: "anything", key: "x", row: 1 }]),
    ];
    expect(checkWrites(committed, ["c1", "c2"], keys)).toEqual([]);
  });

  it("names a row in another table", () => {
    const found = checkWrites([tx(3, "c2", [{ table: "processed", key: "o1/1", row: true }])], ["c1", "c2"], keys);
    expect(found[0]?.explanation).toContain("c2's tx 3");
    expect(found[0]?.explanation).toContain("wrote processed/o1/1");
  });

  it("names an inbox row at a key that is not a business key, and a deleted inbox row", () => {
    const atMessageId = checkWrites([tx(4, "c1", [{ table: TABLES.inbox, key: "m-7", row: true }])], ["c1"], keys);
    expect(atMessageId[0]?.explanation).toContain("wrote inbox/m-7");
    const deleted = checkWrites([tx(5, "c1", [{ table: TABLES.inbox, key: "o1/1", deleted: true }])], ["c1"], keys);
    expect(deleted[0]?.explanation).toContain("deleted inbox/o1/1");
  });
});
