/**
 * One way to decode the contracts' enum codes and bitmasks to names, from the SDK's `{ Name: code }` tables
 * (`CustodyEventType`, `Verdict`, `MemberStatus`, `Role`, `Assurance`…) or a list indexed by code
 * (`AssistanceStates`). A code off the table reads `code <n>` rather than failing a whole answer.
 */
export function enumName(values: Readonly<Record<string, number>> | readonly string[], code: unknown): string {
  const n = Number(code);
  const name = Array.isArray(values)
    ? (values as readonly string[])[n]
    : Object.keys(values).find((k) => (values as Readonly<Record<string, number>>)[k] === n);
  return name ?? `code ${n}`;
}

/** The names of the flags set in a bitmask. */
export function flagNames<N extends string>(values: Readonly<Record<N, number>>, mask: number | bigint): N[] {
  return (Object.keys(values) as N[]).filter((k) => (Number(mask) & values[k]) !== 0);
}
