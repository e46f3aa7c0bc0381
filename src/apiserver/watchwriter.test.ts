/**
 * Tests for the coalescing watch writer: HTTP chunk framing, coalescing of
 * queued lines into one write, and one shared buffer for identical queues.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { enqueue, frameChunk, type ChunkSink } from "./watchwriter.ts";

function sink(): ChunkSink & { writes: Buffer[] } {
  const writes: Buffer[] = [];
  return { writes, writeFramed: (b) => writes.push(b) };
}

describe("watch writer", () => {
  it("frames lines as one HTTP/1.1 chunk", () => {
    assert.equal(frameChunk(["ab\n", Buffer.from("cde\n")]).toString(), "7\r\nab\ncde\n\r\n");
    assert.equal(frameChunk([Buffer.alloc(26, "x")]).toString(), `1a\r\n${"x".repeat(26)}\r\n`);
  });

  it("coalesces queued lines and shares the framed buffer between identical queues", async () => {
    const a = sink();
    const b = sink();
    const c = sink();
    const ev1 = Buffer.from('{"type":"ADDED"}\n');
    const ev2 = Buffer.from('{"type":"MODIFIED"}\n');
    for (const s of [a, b]) {
      enqueue(s, ev1);
      enqueue(s, ev2);
    }
    enqueue(c, ev1);
    enqueue(c, "private line\n");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(a.writes.length, 1, "two events, one write");
    assert.equal(a.writes[0], b.writes[0], "identical queues share one buffer");
    assert.equal(a.writes[0].toString(), `${(ev1.length + ev2.length).toString(16)}\r\n${ev1}${ev2}\r\n`);
    assert.notEqual(c.writes[0], a.writes[0]);
    assert.match(c.writes[0].toString(), /private line/);
  });
});
