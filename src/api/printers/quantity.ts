/**
 * Canonical text of resource quantities ("1Gi", "500m", "1k", "1e3"), as the
 * API prints them: the suffix family of the input is kept (binary, decimal SI
 * or decimal exponent), the value is reduced to the largest suffix that keeps
 * an integer mantissa, and precision finer than nano units is rounded up.
 */

const decimalSuffix: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffix: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const decimalByExp = new Map(Object.entries(decimalSuffix).map(([s, e]) => [e, s]));
const binaryByExp = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

type Format = "BinarySI" | "DecimalSI" | "DecimalExponent";

interface Parsed {
  /** value = mantissa * 10^exp */
  mantissa: bigint;
  exp: number;
  format: Format;
}

const pattern = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/;

function parse(text: string): Parsed | undefined {
  const m = pattern.exec(text.trim());
  if (!m) return undefined;
  const [, sign, whole, frac = "", suffix] = m;
  if (whole === "" && frac === "") return undefined;
  let mantissa = BigInt((whole || "0") + frac);
  let exp = -frac.length;
  let format: Format;
  if (suffix in decimalSuffix) {
    format = "DecimalSI";
    exp += decimalSuffix[suffix];
  } else if (suffix in binarySuffix) {
    format = "BinarySI";
    mantissa *= 1024n ** BigInt(binarySuffix[suffix]);
  } else if (/^[eE][+-]?\d+$/.test(suffix)) {
    format = "DecimalExponent";
    exp += Number(suffix.slice(1));
  } else {
    return undefined;
  }
  if (sign === "-") mantissa = -mantissa;
  if (exp < -9) {
    // Round away from zero to nano precision.
    const div = 10n ** BigInt(-9 - exp);
    const neg = mantissa < 0n;
    const abs = neg ? -mantissa : mantissa;
    let q = abs / div;
    if (q * div !== abs) q += 1n;
    mantissa = neg ? -q : q;
    exp = -9;
  }
  return { mantissa, exp, format };
}

function decimalText(mantissa: bigint, exp: number, format: Format): string {
  let m = mantissa;
  let e = exp;
  while (m % 10n === 0n) {
    m /= 10n;
    e++;
  }
  while (((e % 3) + 3) % 3 !== 0) {
    m *= 10n;
    e--;
  }
  if (format === "DecimalSI") {
    const s = decimalByExp.get(e);
    if (s !== undefined) return `${m}${s}`;
  }
  return e === 0 ? `${m}` : `${m}e${e}`;
}

/**
 * Canonical form of a quantity given as text or number; "0" for zero or an
 * absent value; input that does not parse is returned unchanged.
 */
export function canonicalQuantity(q: unknown): string {
  if (q === undefined || q === null || q === "") return "0";
  const text = typeof q === "number" ? String(q) : String(q);
  const p = parse(text);
  if (!p) return text;
  if (p.mantissa === 0n) return "0";
  let format = p.format;
  let integer: bigint | undefined;
  if (format === "BinarySI") {
    if (p.exp >= 0) integer = p.mantissa * 10n ** BigInt(p.exp);
    else {
      const div = 10n ** BigInt(-p.exp);
      if (p.mantissa % div === 0n) integer = p.mantissa / div;
    }
    if (integer === undefined || (integer > -1024n && integer < 1024n)) format = "DecimalSI";
  }
  if (format !== "BinarySI" || integer === undefined) return decimalText(p.mantissa, p.exp, format);
  let v = integer;
  let k = 0;
  while (k < 6 && v % 1024n === 0n) {
    v /= 1024n;
    k++;
  }
  return `${v}${binaryByExp[k]}`;
}
