/** Claims: see claims/ (record, keys, claim, release, warm pool). Importers keep this path. */
export * from './claims/index';
