// A redirect target from a form: only a path of this site (no open redirect).
export function safePath(value: unknown, fallback = '/'): string {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\') && value.length < 500 ? value : fallback;
}
