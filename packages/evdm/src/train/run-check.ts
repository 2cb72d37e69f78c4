/**
 * The leaf keys where two JSON-like configs differ, as `key: a vs b` (empty when equal), so a
 * mismatch error can name both values instead of "configs differ".
 */
export function configDifferences(a: unknown, b: unknown, path = ''): Array<{ key: string; a: unknown; b: unknown }> {
  const isObj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object';
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => configDifferences(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [{ key: path, a, b }];
}

/** `baseChannels 32 (checkpoint) vs 16 (run config)`-style text of the differences, or null when equal. */
export function describeConfigDifference(a: unknown, b: unknown, aName: string, bName: string, prefix = ''): string | null {
  const d = configDifferences(a, b, prefix);
  if (d.length === 0) return null;
  return d
    .map((x) => `${x.key} = ${JSON.stringify(x.a) ?? 'unset'} (${aName}) vs ${JSON.stringify(x.b) ?? 'unset'} (${bName})`)
    .join(', ');
}
