/**
 * Tests for the coalescing watch writer: HTTP/1.1 chunk framing and raw
 * HTTP/2 bytes, coalescing of
 * queued lines into one write, broadcasts (one framed buffer for members at
 * the same position, late joiners, private lines kept in order with the
 * shared ones, trimming), the flush interval growing with the cost of a
 * flush, and events that arrive during a flush reaching the outlets it has
 * not written.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Broadcast, flushIntervalMs, flushSliceSize, frameChunk, Outlet, type ChunkSink } from "./watchwriter.ts";

function sink(chunked = true): ChunkSink & { writes: Buffer[]; text: () => string } {
  const writes: Buffer[] = [];
  return { chunked, writes, write: (b) => writes.push(b), text: () => writes.map((b) => b.toString()).join("") };
}

const settle = (ms = 50): Promise<void> => new Promise((r) => setTimeout(r, ms));
const framed = (...lines: (Buffer | string)[]): string => frameChunk(lines).toString();

describe("watch writer", () => {
  it("frames lines as one HTTP/1.1 chunk", () => {
    assert.equal(frameChunk(["ab\n", Buffer.from("cde\n")]).toString(), "7\r\nab\ncde\n\r\n");
    assert.equal(frameChunk([Buffer.alloc(26, "x")]).toString(), `1a\r\n${"x".repeat(26)}\r\n`);
  });

  it("coalesces an outlet's queued lines into one write", async () => {
    const s = sink();
    const o = new Outlet(s);
    o.push('{"type":"ADDED"}\n');
    o.push(Buffer.from('{"type":"MODIFIED"}\n'));
    await settle();
    assert.equal(s.writes.length, 1, "two events, one write");
    assert.equal(s.text(), framed('{"type":"ADDED"}\n', '{"type":"MODIFIED"}\n'));
    o.close();
    o.push("after close\n");
    await settle();
    assert.equal(s.writes.length, 1, "a closed outlet writes nothing");
  });

  it("shares one framed buffer between the members of a broadcast", async () => {
    const b = new Broadcast();
    const sinks = [sink(), sink(), sink()];
    const outlets = sinks.map((s) => new Outlet(s, b));
    const ev1 = Buffer.from('{"type":"ADDED","n":1}\n');
    const ev2 = Buffer.from('{"type":"ADDED","n":2}\n');
    b.append(ev1);
    b.append(ev2);
    await settle();
    for (const s of sinks) assert.equal(s.writes.length, 1);
    assert.equal(sinks[0].writes[0], sinks[1].writes[0], "members at the same position share the buffer");
    assert.equal(sinks[0].writes[0], sinks[2].writes[0]);
    assert.equal(sinks[0].text(), framed(ev1, ev2));
    for (const o of outlets) o.close();
  });

  it("writes raw bytes to HTTP/2 members and chunks to HTTP/1.1 members of one broadcast", async () => {
    const b = new Broadcast();
    const sinks = [sink(true), sink(false), sink(false), sink(true), sink(false)];
    const outlets = sinks.map((s) => new Outlet(s, b));
    b.append(Buffer.from("one\n"));
    outlets[2].push("private\n");
    b.append(Buffer.from("two\n"));
    await settle();
    assert.equal(sinks[0].text(), framed("one\n", "two\n"));
    assert.equal(sinks[1].text(), "one\ntwo\n", "no chunk framing on an HTTP/2 stream");
    assert.equal(sinks[2].text(), "one\nprivate\ntwo\n");
    assert.equal(sinks[0].writes[0], sinks[3].writes[0], "chunked members share their buffer");
    assert.equal(sinks[1].writes[0], sinks[4].writes[0], "so do raw members");
    for (const o of outlets) o.close();
  });

  it("gives a late member only the lines appended after it joined", async () => {
    const b = new Broadcast();
    const early = sink();
    const e = new Outlet(early, b);
    b.append(Buffer.from("one\n"));
    const late = sink();
    const l = new Outlet(late, b);
    b.append(Buffer.from("two\n"));
    await settle();
    assert.equal(early.text(), framed("one\n", "two\n"));
    assert.equal(late.text(), framed("two\n"));
    e.close();
    l.close();
  });

  it("writes a member's private lines after the shared lines appended before them", async () => {
    const b = new Broadcast();
    const s = sink();
    const other = sink();
    const o = new Outlet(s, b);
    const p = new Outlet(other, b);
    b.append(Buffer.from("ev1\n"));
    o.push("bookmark-after-ev1\n");
    b.append(Buffer.from("ev2\n"));
    b.append(Buffer.from("ev3\n"));
    o.push("bookmark-after-ev3\n");
    await settle();
    assert.equal(s.text(), framed("ev1\n", "bookmark-after-ev1\n", "ev2\n", "ev3\n", "bookmark-after-ev3\n"));
    assert.equal(other.text(), framed("ev1\n", "ev2\n", "ev3\n"), "private lines stay private");
    o.push("initial\n");
    b.append(Buffer.from("ev4\n"));
    await settle();
    assert.equal(s.writes.at(-1)!.toString(), framed("initial\n", "ev4\n"));
    o.close();
    p.close();
  });

  it("drops shared lines once every member has been written them", async () => {
    const b = new Broadcast();
    const a = new Outlet(sink(), b);
    b.append(Buffer.from("x\n"));
    await settle();
    assert.equal(b.range(0, b.end).length, 0, "written to every member: dropped");
    const c = new Outlet(sink(), b);
    b.append(Buffer.from("y\n"));
    assert.equal(b.range(b.end - 1, b.end).length, 1, "kept until written");
    await settle();
    assert.equal(b.range(0, b.end).length, 0);
    a.close();
    c.close();
    assert.equal(b.members.size, 0);
    b.append(Buffer.from("z\n"));
    assert.equal(b.range(0, b.end).length, 0, "nothing is kept without members");
  });

  it("waits longer between flushes when a flush spends long writing", async () => {
    const b = new Broadcast();
    const busy = (ms: number): void => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const times: number[] = [];
    const sinks = Array.from({ length: 20 }, (_, i) => ({
      chunked: true,
      write: () => {
        if (i === 0) times.push(performance.now());
        busy(2);
        if (i === 19 && times.length === 1) b.append(Buffer.from("two\n"));
      },
    }));
    const outlets = sinks.map((s) => new Outlet(s, b));
    b.append(Buffer.from("one\n"));
    await settle(400);
    assert.equal(times.length, 2);
    assert.ok(times[1] - times[0] >= 70, `a 40 ms flush is followed by an 80 ms pause, not ${flushIntervalMs} ms (got ${(times[1] - times[0]).toFixed(0)} ms)`);
    for (const o of outlets) o.close();
  });

  it("writes an event that arrives during a flush to the outlets not yet written in it", async () => {
    const ev1 = Buffer.from('{"type":"ADDED","n":1}\n');
    const ev2 = Buffer.from('{"type":"ADDED","n":2}\n');
    for (const shared of [false, true]) {
      const b = shared ? new Broadcast() : undefined;
      const sinks = Array.from({ length: flushSliceSize + 2 }, () => sink());
      let sent = false;
      const first = sinks[0];
      const outlets = sinks.map((s) => new Outlet(s, b));
      const send = (ev: Buffer): void => {
        if (b) b.append(ev);
        else for (const o of outlets) o.push(ev);
      };
      first.write = (buf) => {
        first.writes.push(buf);
        if (sent) return;
        sent = true;
        send(ev2);
      };
      send(ev1);
      await settle(80);
      const late = sinks[flushSliceSize + 1];
      assert.equal(late.writes.length, 1, "an outlet in a later slice gets both events in one write");
      assert.equal(late.text(), framed(ev1, ev2));
      assert.deepEqual(first.writes.map((x) => x.toString()), [framed(ev1), framed(ev2)], "an already written outlet gets the new event in the next flush");
      assert.equal(sinks[1].writes.length, 1, "so does an outlet written after the event arrived in the same slice");
      for (const o of outlets) o.close();
    }
  });
});
