/**
 * Welcome views cannot show dynamic text, so the reason a cluster is unreachable is sorted into a
 * few kinds, each with its own welcome message (package.json, terrarium.reason); the full text
 * goes to the log and the view's message.
 */
export type UnreachableKind = 'refused' | 'dns' | 'timeout' | 'tls' | 'auth' | 'other';

export function unreachableKind(reason: string): UnreachableKind {
  if (/\b401\b|credentials|unauthori[sz]ed|expired token|re-?login/i.test(reason)) return 'auth';
  if (/certificate|\bTLS\b|self[- ]signed|x509|hostname mismatch/i.test(reason)) return 'tls';
  if (/ECONNREFUSED|refused/i.test(reason)) return 'refused';
  if (/ENOTFOUND|EAI_AGAIN|does not resolve|not resolve|getaddrinfo/i.test(reason)) return 'dns';
  if (/ETIMEDOUT|timed out|timeout|EHOSTUNREACH|ENETUNREACH/i.test(reason)) return 'timeout';
  return 'other';
}
