/** Audit: the Auditor port, the record, the helpers core operations use, and the sinks. */
export * from './types';
export { audited, auditEvent, currentAuditor, installAuditor, makeRecord, primeAudit, resultOf, settleAudits, sshKeyFingerprint, type AuditScope, type AuditWhat } from './auditor';
export { whoAmI, type IdentityKubeConfig } from './identity';
export { defaultAuditLogPath, fileAuditor, formatAuditLine, memoryAuditor, streamAuditor, teeAuditor, type FileAuditorOptions, type MemoryAuditor } from './sinks';
