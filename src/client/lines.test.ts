/**
 * Tests for the watch line splitter: lines split across chunks (including
 * inside a multi-byte character), several lines per chunk, blank lines and
 * CRLF, and stopping early.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LineSplitter } from "./lines.ts";

function split(chunks: Buffer[]): string[] {
  const s = new LineSplitter();
  const out: string[] = [];
  for (const c of chunks) s.push(c, (l) => void out.push(l));
  return out;
}

describe("LineSplitter", () => {
  it("yields complete lines in order, across and within chunks", () => {
    assert.deepEqual(split([Buffer.from('{"a":1}\n{"b"'), Buffer.from(':2}\n{"c":3}\n{"d"'), Buffer.from(":4}\n")]), ['{"a":1}', '{"b":2}', '{"c":3}', '{"d":4}']);
  });

  it("decodes a multi-byte character split between chunks", () => {
    const bytes = Buffer.from('{"name":"grüße ✓"}\n');
    for (let cut = 1; cut < bytes.length; cut++) {
      assert.deepEqual(split([bytes.subarray(0, cut), bytes.subarray(cut)]), ['{"name":"grüße ✓"}'], `cut at ${cut}`);
    }
  });

  it("skips blank lines, trims CRLF and keeps an unfinished line for later", () => {
    const s = new LineSplitter();
    const out: string[] = [];
    s.push(Buffer.from("\n\r\none\r\n  \ntw"), (l) => void out.push(l));
    assert.deepEqual(out, ["one"]);
    s.push(Buffer.from("o"), (l) => void out.push(l));
    assert.deepEqual(out, ["one"], "no newline yet");
    s.push(Buffer.from("\n"), (l) => void out.push(l));
    assert.deepEqual(out, ["one", "two"]);
  });

  it("stops when the callback returns false", () => {
    const s = new LineSplitter();
    const out: string[] = [];
    s.push(Buffer.from("a\nb\nc\n"), (l) => {
      out.push(l);
      return l !== "b";
    });
    assert.deepEqual(out, ["a", "b"]);
  });
});
