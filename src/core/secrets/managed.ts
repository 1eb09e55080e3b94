import { APP_NAME, LABEL_ENVIRONMENT, LABEL_MANAGED_BY, LABEL_NAME, MANAGED_BY } from '../devenv/names';
import { TerrariumError } from '../kube/errors';

/**
 * Secrets Terrarium itself manages (an environment's SSH host key above all) are never revealed
 * or copied, whatever points at them: a VSO object may name one as its destination, by mistake
 * or on purpose, and the panel would otherwise offer the host private key. Recognised by name
 * (`<env>-hostkey`, which holds even when the operator has rewritten the labels) or by Terrarium's
 * labels.
 */
const MANAGED_NAME = /-hostkey$/;

export function isTerrariumManagedSecret(name: string, labels?: Record<string, string> | null): boolean {
  if (MANAGED_NAME.test(name)) return true;
  if (!labels) return false;
  return labels[LABEL_MANAGED_BY] === MANAGED_BY || labels[LABEL_NAME] === APP_NAME || LABEL_ENVIRONMENT in labels;
}

export function refuseManagedSecret(name: string): TerrariumError {
  return new TerrariumError('Forbidden', `Secret "${name}" is managed by Terrarium (an environment's SSH host key or another of its objects) and is never revealed or copied.`,
    'If a Vault secret names it as its destination, point that destination at a Secret of its own.');
}
