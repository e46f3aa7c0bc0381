/**
 * resource.Quantity: exact fixed-point quantities such as `500m`, `1.5Gi` or
 * `1e3`, parsed and printed the way upstream apimachinery does. A value is an
 * arbitrary-precision integer mantissa times a power of ten, so arithmetic and
 * comparison are exact; the canonical string form follows upstream
 * (`1000m` -> `1`, `0.5` -> `500m`, `1.5Gi` -> `1536Mi`, `1000` -> `1k`).
 */

/** How a quantity prints: the family of its suffix when it was parsed. */
export type QuantityFormat = "BinarySI" | "DecimalSI" | "DecimalExponent";

/** Upstream's message for a string that is not a quantity at all. */
export const errFormatWrong =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
/** Upstream's message for an unknown suffix. */
export const errSuffix = "unable to parse quantity's suffix";
/** Upstream's message for a malformed numeric part. */
export const errNumeric = "unable to parse numeric part of quantity";

const quantityRe = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const numberRe = /^([+-]?)([0-9]*)(?:\.([0-9]*))?$/;

const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffixes: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const decimalByExp = new Map<number, string>(Object.entries(decimalSuffixes).map(([s, e]) => [e, s]));
const binaryByPow = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

const TEN = 10n;
const pow10 = (n: number): bigint => TEN ** BigInt(n);
const abs = (n: bigint): bigint => (n < 0n ? -n : n);

/** Divides rounding away from zero (upstream's RoundUp). */
function divAwayFromZero(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b === 0n ? q : a < 0n ? q - 1n : q + 1n;
}

/** An immutable exact quantity: `mantissa * 10^exponent`. */
export class Quantity {
  readonly mantissa: bigint;
  readonly exponent: number;
  readonly format: QuantityFormat;

  constructor(mantissa: bigint, exponent: number, format: QuantityFormat = "DecimalSI") {
    // normalise so that equal values have equal representations
    let m = mantissa;
    let e = exponent;
    if (m === 0n) e = 0;
    else
      while (m % TEN === 0n) {
        m /= TEN;
        e++;
      }
    this.mantissa = m;
    this.exponent = e;
    this.format = format;
  }

  /** -1, 0 or 1. */
  sign(): number {
    return this.mantissa === 0n ? 0 : this.mantissa < 0n ? -1 : 1;
  }

  isZero(): boolean {
    return this.mantissa === 0n;
  }

  /** The value scaled to 10^scale as an integer, rounded away from zero. */
  scaledValue(scale: number): bigint {
    const shift = this.exponent - scale;
    if (shift >= 0) return this.mantissa * pow10(shift);
    return divAwayFromZero(this.mantissa, pow10(-shift));
  }

  /** Value in thousandths, rounded up (away from zero), as upstream MilliValue. */
  milliValue(): number {
    return Number(this.scaledValue(-3));
  }

  /** Integer value rounded up (away from zero), as upstream Value. */
  value(): number {
    return Number(this.scaledValue(0));
  }

  /** Approximate floating-point value. */
  toNumber(): number {
    return Number(this.mantissa) * 10 ** this.exponent;
  }

  /** -1, 0 or 1 as this is less than, equal to or greater than `other`. */
  cmp(other: Quantity): number {
    const e = Math.min(this.exponent, other.exponent);
    const a = this.mantissa * pow10(this.exponent - e);
    const b = other.mantissa * pow10(other.exponent - e);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  add(other: Quantity): Quantity {
    const e = Math.min(this.exponent, other.exponent);
    return new Quantity(this.mantissa * pow10(this.exponent - e) + other.mantissa * pow10(other.exponent - e), e, this.format);
  }

  sub(other: Quantity): Quantity {
    return this.add(new Quantity(-other.mantissa, other.exponent, other.format));
  }

  neg(): Quantity {
    return new Quantity(-this.mantissa, this.exponent, this.format);
  }

  /** The quantity rounded up (away from zero) to 10^scale, as upstream RoundUp. */
  roundUp(scale: number): Quantity {
    if (this.exponent >= scale) return this;
    return new Quantity(this.scaledValue(scale), scale, this.format);
  }

  /** True when the value is a whole number. */
  isInteger(): boolean {
    return this.exponent >= 0;
  }

  /** Canonical string form, as upstream `Quantity.String()`. */
  toString(): string {
    if (this.mantissa === 0n) return "0";
    let format = this.format;
    if (format === "BinarySI") {
      const small = this.cmp(new Quantity(-1024n, 0)) > 0 && this.cmp(new Quantity(1024n, 0)) < 0;
      if (small || !this.isInteger()) format = "DecimalSI";
    }
    const sign = this.mantissa < 0n ? "-" : "";
    const m = abs(this.mantissa);
    if (format === "BinarySI") {
      let n = m * pow10(this.exponent);
      let p = 0;
      while (p < binaryByPow.length - 1 && n % 1024n === 0n) {
        n /= 1024n;
        p++;
      }
      return `${sign}${n}${binaryByPow[p]}`;
    }
    // largest multiple of three not above the exponent keeps the mantissa integral
    let e = Math.floor(this.exponent / 3) * 3;
    if (format === "DecimalSI") e = Math.max(-9, Math.min(18, e));
    const digits = m * pow10(this.exponent - e);
    if (format === "DecimalExponent") return `${sign}${digits}${e === 0 ? "" : `e${e}`}`;
    return `${sign}${digits}${decimalByExp.get(e) ?? ""}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/**
 * Quantities parsed from strings, by string: a cluster uses few distinct ones
 * ("100m", "128Mi", node capacities) and parses them on every pod write
 * (defaulting, validation, quota). Quantity is immutable, so results are
 * shared. Bounded: cleared when full.
 */
const parsed = new Map<string, Quantity>();
const parsedLimit = 4096;

/**
 * Parses a quantity from its string (or JSON number) form. Throws an Error
 * carrying upstream's message (`errFormatWrong`, `errSuffix`, `errNumeric`)
 * when the input is not a quantity. Values finer than 1n are rounded up.
 */
export function parseQuantity(input: string | number): Quantity {
  if (typeof input !== "string") return parseUncached(input);
  let q = parsed.get(input);
  if (q === undefined) {
    q = parseUncached(input);
    if (parsed.size >= parsedLimit) parsed.clear();
    parsed.set(input, q);
  }
  return q;
}

function parseUncached(input: string | number): Quantity {
  let s: string;
  if (typeof input === "number") {
    if (!Number.isFinite(input)) throw new Error(errFormatWrong);
    s = Number.isInteger(input) && Math.abs(input) < 1e21 ? BigInt(input).toString() : String(input);
  } else if (typeof input === "string") {
    s = input;
  } else {
    throw new Error(errFormatWrong);
  }
  const match = quantityRe.exec(s);
  if (!match) throw new Error(errFormatWrong);
  const [, num, suffix] = match;
  const nm = numberRe.exec(num);
  if (!nm || (nm[2] === "" && (nm[3] === undefined || nm[3] === ""))) throw new Error(errNumeric);
  const negative = nm[1] === "-";
  const intPart = nm[2] || "0";
  const frac = nm[3] ?? "";
  let mantissa = BigInt(intPart + frac);
  if (negative) mantissa = -mantissa;
  let exponent = -frac.length;
  let format: QuantityFormat;
  if (suffix in decimalSuffixes) {
    format = "DecimalSI";
    exponent += decimalSuffixes[suffix];
  } else if (suffix in binarySuffixes) {
    format = "BinarySI";
    mantissa *= 1024n ** BigInt(binarySuffixes[suffix]);
  } else if (/^[eE][+-]?[0-9]+$/.test(suffix)) {
    format = "DecimalExponent";
    exponent += Number.parseInt(suffix.slice(1), 10);
  } else {
    throw new Error(errSuffix);
  }
  let q = new Quantity(mantissa, exponent, format);
  if (q.exponent < -9) q = q.roundUp(-9);
  return q;
}

/** Parses without throwing: the quantity, or undefined when invalid. */
export function tryParseQuantity(input: unknown): Quantity | undefined {
  if (typeof input !== "string" && typeof input !== "number") return undefined;
  try {
    return parseQuantity(input);
  } catch {
    return undefined;
  }
}

/** -1, 0 or 1 comparing two quantities. */
export function compareQuantities(a: Quantity, b: Quantity): number {
  return a.cmp(b);
}
