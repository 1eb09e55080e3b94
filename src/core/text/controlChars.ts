// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x1f\x7f]/;

/**
 * True when s has a C0 control character or DEL (newline, carriage return, escape, NUL, ...): in a
 * config line one would start a new line or hide text. Kept apart so ssh code need not load kubeconfig.
 */
export function hasControlChars(s: string): boolean {
  return CONTROL.test(s);
}
