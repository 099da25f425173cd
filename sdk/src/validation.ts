/** Argument checks used by the public API. They never throw: callers log and return false. */

export function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

export function isString(v: unknown): v is string {
  return typeof v === 'string';
}

export function isFunction(v: unknown): v is (...args: never[]) => unknown {
  return typeof v === 'function';
}

export function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

export function isBoolean(v: unknown): v is boolean {
  return typeof v === 'boolean';
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isNonEmptyStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.length > 0 && v.every(isNonEmptyString);
}

/** `server` in config: a non-empty string or a non-empty array of non-empty strings. */
export function normalizeServers(v: unknown): string[] | null {
  if (isNonEmptyString(v)) return [v];
  if (isNonEmptyStringArray(v)) return v.slice();
  return null;
}

/** Byte length of a string as UTF-8 (limits in the reference are in bytes). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
