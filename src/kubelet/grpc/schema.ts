/**
 * A tiny .proto (proto3) reader: turns the message, enum and service
 * declarations of one file into a schema table for the codec in codec.ts.
 * It understands what our hand-written protos use — messages (nested),
 * enums (nested), scalar/enum/message fields, `repeated`, `optional`,
 * `map<K, V>`, `oneof` (its fields are read as plain fields) and services
 * with unary rpcs — and skips `syntax`, `package`, `import`, `option` and
 * `reserved` statements and field options.
 */

/** Protobuf scalar type names. */
export const scalarTypes = new Set([
  "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64",
  "fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
]);

/** One field: `type` is a scalar name, or the full name of an enum or message (`kind` says which). */
export interface FieldDef {
  name: string;
  number: number;
  kind: "scalar" | "enum" | "message" | "map";
  type: string;
  repeated: boolean;
  /** For maps: key (scalar) and value field definitions (numbers 1 and 2). */
  key?: FieldDef;
  value?: FieldDef;
}

export interface MessageDef {
  name: string;
  fields: FieldDef[];
  byNumber: Map<number, FieldDef>;
}

export interface EnumDef {
  name: string;
  byNumber: Map<number, string>;
  byName: Map<string, number>;
  /** Name of value 0 (the proto3 default), or the first value. */
  defaultName: string;
}

export interface RpcDef {
  name: string;
  input: string;
  output: string;
}

/** A parsed file; message and enum names are full names without the package (`SecurityProfile.ProfileType`). */
export interface Schema {
  package: string;
  messages: Map<string, MessageDef>;
  enums: Map<string, EnumDef>;
  services: Map<string, RpcDef[]>;
}

function tokenize(src: string): string[] {
  const noComments = src.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\/\/[^\n]*/g, " ");
  return noComments.match(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[A-Za-z_.][\w.]*|-?\d[\w.]*|[{}()\[\];=<>,]/g) ?? [];
}

interface RawField { name: string; number: number; type: string; repeated: boolean; keyType?: string; scope: string }

/** Parses proto3 source text into a schema; throws on syntax it does not understand. */
export function parseProto(src: string): Schema {
  const t = tokenize(src);
  let i = 0;
  const schema: Schema = { package: "", messages: new Map(), enums: new Map(), services: new Map() };
  const raw = new Map<string, RawField[]>();
  const peek = () => t[i];
  const next = () => {
    if (i >= t.length) throw new Error("proto: unexpected end of input");
    return t[i++];
  };
  const expect = (tok: string) => {
    const got = next();
    if (got !== tok) throw new Error(`proto: expected ${tok} but found ${got} (token ${i})`);
  };
  const skipStatement = () => {
    let depth = 0;
    for (;;) {
      const tok = next();
      if (tok === "{" || tok === "[" || tok === "(") depth++;
      else if (tok === "}" || tok === "]" || tok === ")") depth--;
      else if (tok === ";" && depth === 0) return;
    }
  };
  const qualify = (scope: string, name: string) => (scope ? `${scope}.${name}` : name);

  const parseEnum = (scope: string) => {
    const name = qualify(scope, next());
    expect("{");
    const def: EnumDef = { name, byNumber: new Map(), byName: new Map(), defaultName: "" };
    while (peek() !== "}") {
      const tok = next();
      if (tok === "option" || tok === "reserved") { skipStatement(); continue; }
      if (tok === ";") continue;
      expect("=");
      const n = Number(next());
      if (peek() === "[") skipStatement(); else expect(";");
      if (!def.byNumber.has(n)) def.byNumber.set(n, tok);
      def.byName.set(tok, n);
      if (!def.defaultName) def.defaultName = tok;
    }
    expect("}");
    def.defaultName = def.byNumber.get(0) ?? def.defaultName;
    schema.enums.set(name, def);
  };

  const parseField = (first: string, scope: string, fields: RawField[]) => {
    let tok = first;
    let repeated = false;
    if (tok === "repeated") { repeated = true; tok = next(); } else if (tok === "optional") tok = next();
    let type = tok;
    let keyType: string | undefined;
    if (tok === "map") {
      expect("<");
      keyType = next();
      expect(",");
      type = next();
      expect(">");
    }
    const name = next();
    expect("=");
    const number = Number(next());
    if (peek() === "[") skipStatement(); else expect(";");
    fields.push({ name, number, type, repeated, keyType, scope });
  };

  const parseMessage = (scope: string) => {
    const name = qualify(scope, next());
    expect("{");
    const fields: RawField[] = [];
    while (peek() !== "}") {
      const tok = next();
      if (tok === "message") parseMessage(name);
      else if (tok === "enum") parseEnum(name);
      else if (tok === "option" || tok === "reserved" || tok === "extensions") skipStatement();
      else if (tok === ";") continue;
      else if (tok === "oneof") {
        next();
        expect("{");
        while (peek() !== "}") {
          const f = next();
          if (f === "option") skipStatement(); else if (f !== ";") parseField(f, name, fields);
        }
        expect("}");
      } else parseField(tok, name, fields);
    }
    expect("}");
    raw.set(name, fields);
  };

  const parseService = () => {
    const name = next();
    expect("{");
    const rpcs: RpcDef[] = [];
    while (peek() !== "}") {
      const tok = next();
      if (tok === "option") { skipStatement(); continue; }
      if (tok === ";") continue;
      if (tok !== "rpc") throw new Error(`proto: unexpected ${tok} in service ${name}`);
      const rpc = next();
      expect("(");
      let input = next();
      if (input === "stream") input = next();
      expect(")");
      expect("returns");
      expect("(");
      let output = next();
      if (output === "stream") output = next();
      expect(")");
      if (peek() === "{") {
        next();
        while (peek() !== "}") skipStatement();
        expect("}");
      } else expect(";");
      rpcs.push({ name: rpc, input, output });
    }
    expect("}");
    schema.services.set(name, rpcs);
  };

  while (i < t.length) {
    const tok = next();
    if (tok === "message") parseMessage("");
    else if (tok === "enum") parseEnum("");
    else if (tok === "service") parseService();
    else if (tok === "package") { schema.package = next(); expect(";"); }
    else if (tok === ";") continue;
    else skipStatement(); // syntax, import, option
  }

  const resolve = (type: string, scope: string): string => {
    let name = type.startsWith(".") ? type.slice(1) : type;
    if (schema.package && name.startsWith(schema.package + ".")) name = name.slice(schema.package.length + 1);
    for (let s = scope; s; s = s.includes(".") ? s.slice(0, s.lastIndexOf(".")) : "") {
      const c = `${s}.${name}`;
      if (schema.messages.has(c) || schema.enums.has(c) || raw.has(c)) return c;
    }
    if (schema.enums.has(name) || raw.has(name)) return name;
    throw new Error(`proto: unknown type ${type} (in ${scope})`);
  };
  const makeField = (name: string, number: number, type: string, repeated: boolean, scope: string): FieldDef => {
    if (scalarTypes.has(type)) return { name, number, kind: "scalar", type, repeated };
    const full = resolve(type, scope);
    return { name, number, kind: schema.enums.has(full) ? "enum" : "message", type: full, repeated };
  };
  for (const [name, fields] of raw) {
    const defs = fields.map((f): FieldDef => {
      if (f.keyType === undefined) return makeField(f.name, f.number, f.type, f.repeated, f.scope);
      return {
        name: f.name, number: f.number, kind: "map", type: f.type, repeated: false,
        key: makeField("key", 1, f.keyType, false, f.scope),
        value: makeField("value", 2, f.type, false, f.scope),
      };
    });
    schema.messages.set(name, { name, fields: defs, byNumber: new Map(defs.map((d) => [d.number, d])) });
  }
  for (const rpcs of schema.services.values()) {
    for (const r of rpcs) {
      r.input = resolve(r.input, "");
      r.output = resolve(r.output, "");
    }
  }
  return schema;
}
