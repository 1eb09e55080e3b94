/**
 * StorageObjectInUseProtection (plugin/pkg/admission/storage/storageobjectinuseprotection): a
 * PersistentVolumeClaim created through the API gets the finalizer kubernetes.io/pvc-protection,
 * which controllers/pvcProtection.ts removes once no pod uses the claim.
 */
import { addPvcProtection } from '../../../controllers/pvcProtection';
import type { AdmissionAttributes, MutatingPlugin } from '../chain';

export class StorageObjectInUseProtection implements MutatingPlugin {
  readonly name = 'StorageObjectInUseProtection';
  admit(a: AdmissionAttributes): void {
    if (a.operation !== 'CREATE' || a.subresource || a.resource.group !== '' || a.resource.plural !== 'persistentvolumeclaims') return;
    addPvcProtection(a.object);
  }
}
