import { TerrariumError, type KubeOp } from './errors';

/** Placeholder until the full translation lands: keeps the signature others code against. */
export function translateKubeError(err: unknown, _op: KubeOp): TerrariumError {
  if (err instanceof TerrariumError) return err;
  return new TerrariumError('Unknown', err instanceof Error ? err.message : String(err), undefined, { cause: err });
}
