/**
 * Checksummed, length-prefixed framing shared by the write-ahead log and the
 * snapshot files of the embedded store.
 *
 * A frame is `[u32 LE payload length][u32 LE crc32(payload)][payload]`, the
 * payload being UTF-8 JSON. `scanFrames` reads frames until the first one that
 * is incomplete or fails its checksum. Such a bad frame is taken for the torn
 * tail of an interrupted append (and reported as the end of valid data) unless
 * a valid frame starts anywhere after it. Writers append one frame per synced
 * write, so a valid frame after a bad one means the bad one had been synced
 * and was damaged later: that is `CorruptionError`, not a torn tail. (JSON
 * escapes control characters, so frame-like bytes inside a payload would claim
 * a length of at least 0x20202020 and are never mistaken for a frame.)
 */
import { crc32 } from "node:zlib";

const HEADER = 8;
/** Payloads larger than this are treated as garbage when scanning. */
const MAX_PAYLOAD = 1 << 30;

/** Data that cannot be explained by an interrupted append. */
export class CorruptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CorruptionError";
  }
}

/** Frame one JSON-serialisable value. */
export function encodeFrame(value: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(value), "utf8");
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  payload.copy(out, HEADER);
  return out;
}

/** Length of the valid frame at `offset`, or -1 when there is none. */
function validFrameAt(buf: Buffer, offset: number): number {
  if (buf.length - offset < HEADER) return -1;
  const len = buf.readUInt32LE(offset);
  const sum = buf.readUInt32LE(offset + 4);
  if (len === 0 && sum === 0) return -1;
  if (len > MAX_PAYLOAD || offset + HEADER + len > buf.length) return -1;
  if (crc32(buf.subarray(offset + HEADER, offset + HEADER + len)) !== sum) return -1;
  return HEADER + len;
}

/** Outcome of scanning a buffer of frames. */
export interface ScanResult {
  /** Decoded payloads of the valid frames, in order. */
  values: unknown[];
  /** Byte offset just past the last valid frame. */
  end: number;
  /** True when no bytes follow the last valid frame. */
  clean: boolean;
}

/**
 * Decode the frames in `buf` (see the module comment for how a damaged tail is
 * told apart from corruption). `what` names the file in error messages.
 */
export function scanFrames(buf: Buffer, what: string): ScanResult {
  const values: unknown[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const size = validFrameAt(buf, offset);
    if (size < 0) {
      for (let probe = offset + 1; probe + HEADER <= buf.length; probe++) {
        if (validFrameAt(buf, probe) > 0) {
          throw new CorruptionError(`${what}: damaged record at byte ${offset} is followed by valid data at ${probe}`);
        }
      }
      return { values, end: offset, clean: false };
    }
    const payload = buf.toString("utf8", offset + HEADER, offset + size);
    try {
      values.push(JSON.parse(payload));
    } catch {
      throw new CorruptionError(`${what}: record at byte ${offset} passes its checksum but is not JSON`);
    }
    offset += size;
  }
  return { values, end: offset, clean: true };
}
