/**
 * A small JSON Schema (draft 2020-12) validator for the keywords the published report schema uses, written apart
 * from zod so that the committed schema file itself is what the tests check reports against. A keyword it does not
 * know fails loudly (the schema grew past what this validator checks) instead of being ignored.
 */
type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(["$schema", "$id", "$defs", "title", "description"]);
const KNOWN = new Set([
  ...ANNOTATIONS,
  "$ref",
  "type",
  "properties",
  "required",
  "additionalProperties",
  "propertyNames",
  "enum",
  "const",
  "pattern",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "items",
  "anyOf",
]);

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The errors of `value` against `schema` (empty: valid), each as `path: problem`. */
export function validateJsonSchema(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  const resolve = (ref: string): Schema => {
    const m = /^#\/\$defs\/(.+)$/.exec(ref);
    const target = m === null ? undefined : (root.$defs as Record<string, Schema> | undefined)?.[m[1]!];
    if (target === undefined) throw new Error(`unresolvable $ref ${ref}`);
    return target;
  };
  const check = (schema: Schema, v: unknown, at: string): boolean => {
    const before = errors.length;
    const fail = (problem: string) => errors.push(`${at || "(root)"}: ${problem}`);
    for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`unsupported keyword ${k} at ${at}`);
    if (typeof schema.$ref === "string" && !check(resolve(schema.$ref), v, at)) return false;
    if (schema.type !== undefined) {
      const t = typeOf(v);
      const ok = schema.type === t || (schema.type === "number" && t === "integer");
      if (!ok) {
        fail(`expected ${String(schema.type)}, got ${t}`);
        return false;
      }
    }
    if (schema.const !== undefined && !deepEqual(schema.const, v)) fail(`expected ${JSON.stringify(schema.const)}`);
    if (Array.isArray(schema.enum) && !schema.enum.some((e) => deepEqual(e, v))) fail(`not one of ${schema.enum}`);
    if (typeof v === "string") {
      if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(v)) {
        fail(`does not match ${schema.pattern}`);
      }
      const length = [...v].length;
      if (typeof schema.minLength === "number" && length < schema.minLength) fail("too short");
      if (typeof schema.maxLength === "number" && length > schema.maxLength) fail("too long");
    }
    if (typeof v === "number") {
      if (typeof schema.minimum === "number" && v < schema.minimum) fail(`below ${schema.minimum}`);
      if (typeof schema.maximum === "number" && v > schema.maximum) fail(`above ${schema.maximum}`);
    }
    if (Array.isArray(v) && schema.items !== undefined) {
      v.forEach((item, i) => check(schema.items as Schema, item, `${at}[${i}]`));
    }
    if (typeOf(v) === "object") {
      const o = v as Record<string, unknown>;
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      for (const r of (schema.required ?? []) as string[]) if (!(r in o)) fail(`missing ${r}`);
      for (const [k, item] of Object.entries(o)) {
        if (schema.propertyNames !== undefined) check(schema.propertyNames as Schema, k, `${at}{${k}}`);
        if (k in properties) check(properties[k]!, item, `${at}.${k}`);
        else if (schema.additionalProperties === false) fail(`unexpected property ${k}`);
        else if (typeof schema.additionalProperties === "object") {
          check(schema.additionalProperties as Schema, item, `${at}.${k}`);
        }
      }
    }
    if (Array.isArray(schema.anyOf)) {
      const mark = errors.length;
      const matched = (schema.anyOf as Schema[]).some((s) => {
        const trial = errors.length;
        const ok = check(s, v, at) && errors.length === trial;
        errors.length = trial;
        return ok;
      });
      errors.length = mark;
      if (!matched) fail("matches none of anyOf");
    }
    return errors.length === before;
  };
  check(root, value, "");
  return errors;
}
