/**
 * Newline-delimited stream splitting for watch responses. Works on the raw
 * bytes: a line is decoded once, when it is complete (a newline byte never
 * occurs inside a multi-byte UTF-8 sequence), instead of decoding every chunk
 * into a growing string that is searched and re-sliced.
 */
export class LineSplitter {
  /** Bytes of an unfinished line from earlier chunks. */
  #partial: Buffer[] = [];

  /**
   * Feeds `chunk`, calling `onLine` with each complete, non-blank line
   * (trimmed) in order. `onLine` returns false to stop early; the rest of the
   * chunk is then dropped.
   */
  push(chunk: Buffer, onLine: (line: string) => boolean | void): void {
    let from = 0;
    let nl = chunk.indexOf(10);
    while (nl >= 0) {
      let line: string;
      if (this.#partial.length) {
        this.#partial.push(chunk.subarray(from, nl));
        line = Buffer.concat(this.#partial).toString("utf8");
        this.#partial = [];
      } else {
        line = chunk.toString("utf8", from, nl);
      }
      from = nl + 1;
      const t = line.trim();
      if (t && onLine(t) === false) return;
      nl = chunk.indexOf(10, from);
    }
    if (from < chunk.length) this.#partial.push(from === 0 ? chunk : chunk.subarray(from));
  }
}
