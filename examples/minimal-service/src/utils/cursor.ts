/**
 * Opaque pagination cursors: clients pass them back unchanged, so their format can evolve
 * without breaking anyone. Base64url keeps them safe in query strings.
 */
export function encodeCursor(fields: Readonly<Record<string, string>>): string {
  return Buffer.from(JSON.stringify(fields), 'utf8').toString('base64url');
}

/** Returns the cursor's fields, or `undefined` for anything this service did not produce. */
export function decodeCursor<const Keys extends string>(
  cursor: string,
  keys: readonly Keys[],
): Record<Keys, string> | undefined {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof decoded !== 'object' || decoded === null) return undefined;
  const fields: Partial<Record<Keys, string>> = {};
  for (const key of keys) {
    const value: unknown = (decoded as Record<string, unknown>)[key];
    if (typeof value !== 'string') return undefined;
    fields[key] = value;
  }
  return fields as Record<Keys, string>;
}
