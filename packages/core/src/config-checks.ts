/** Config validation helpers: every failure names the owner (block, config, function), the field and the bad value. */

/** Throws `${owner}: ${msg}`: the one error form of every evdm validator. */
export function fail(owner: string, msg: string): never {
  throw new Error(`${owner}: ${msg}`);
}

/** A `fail` bound to one owner; annotate the const (`const fail: Fail = failWith(...)`) so TS narrows after it. */
export type Fail = (msg: string) => never;

export function failWith(owner: string): Fail {
  return (msg: string) => fail(owner, msg);
}

export function checkPositiveInt(owner: string, field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new Error(`${owner}: ${field} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

export function checkName(owner: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) {
    throw new Error(`${owner}: name must be a non-empty string (it prefixes every parameter name), got ${String(v)}`);
  }
  return v;
}

export function checkRate(owner: string, field: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) {
    throw new Error(`${owner}: ${field} must be a number in [0, 1), got ${String(v)}`);
  }
  return v;
}

export function checkOneOf<T extends string>(owner: string, field: string, v: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) {
    throw new Error(`${owner}: ${field} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${String(v)}`);
  }
  return v as T;
}

export function checkDivides(owner: string, what: string, divisor: number, n: number): void {
  if (n % divisor !== 0) throw new Error(`${owner}: ${what}: ${divisor} does not divide ${n}`);
}
