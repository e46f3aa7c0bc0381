/**
 * Tests for the coalescing watch writer: HTTP chunk framing, coalescing of
 * queued lines into one write, one shared buffer for identical queues, and
 * events that arrive during a flush reaching the streams it has not written.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { enqueue, flushSliceSize, frameChunk, type ChunkSink } from "./watchwriter.ts";

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

  it("writes an event that arrives during a flush to the streams not yet written in it", async () => {
    const ev1 = Buffer.from('{"type":"ADDED","n":1}\n');
    const ev2 = Buffer.from('{"type":"ADDED","n":2}\n');
    const sinks = Array.from({ length: flushSliceSize + 2 }, () => sink());
    let sent = false;
    const first = sinks[0];
    first.writeFramed = (b) => {
      first.writes.push(b);
      if (sent) return;
      sent = true;
      for (const s of sinks) enqueue(s, ev2);
    };
    for (const s of sinks) enqueue(s, ev1);
    await new Promise((r) => setTimeout(r, 80));
    const late = sinks[flushSliceSize + 1];
    assert.equal(late.writes.length, 1, "a stream in a later slice gets both events in one write");
    assert.equal(late.writes[0].toString(), `${(ev1.length + ev2.length).toString(16)}\r\n${ev1}${ev2}\r\n`);
    assert.deepEqual(first.writes.map((b) => b.toString()), [`${ev1.length.toString(16)}\r\n${ev1}\r\n`, `${ev2.length.toString(16)}\r\n${ev2}\r\n`], "an already written stream gets the new event in the next flush");
    assert.equal(sinks[1].writes.length, 1, "so does a stream written after the event arrived in the same slice");
  });
});
