/**
 * How a tenant's check can go wrong, one class per way, each keeping what it was caused by.
 *
 * {@link TenantCheckFailure}s end the tenant's check: the tenant report gets `status: "error"` with the failure's code
 * and message, and a health alert goes out. {@link ArchiveError} and {@link AlertDeliveryError} do not: the check
 * happened, but its report was not stored or its alerts were not delivered; both travel in the outcome.
 */
import { CheckError, type CheckErrorCode, messageOf } from '../errors';
import { DeadlineExceededError } from '../util/concurrency';

/** A failure that ends one tenant's check; `code` and `message` are what the tenant report's `errors` list. */
export abstract class TenantCheckFailure extends CheckError {}

/** The drift state could not be read: without it every finding would read as new, so the tenant is not checked. */
export class StateUnreadableError extends TenantCheckFailure {
  override readonly name = 'StateUnreadableError';
  constructor(cause: unknown) {
    super(
      cause instanceof CheckError && cause.code === 'bad-input' ? 'bad-input' : 'unreachable',
      `its drift state could not be read, so what changed cannot be told: ${messageOf(cause)}`,
      { cause },
    );
  }
}

/** The tenant could not be collected: credentials, network, Qlik's answers or the deadline. */
export class CollectError extends TenantCheckFailure {
  override readonly name = 'CollectError';
  constructor(cause: unknown) {
    super(codeOf(cause), collectMessageOf(cause), { cause });
  }
}

/** The drift state recorded under the tenant's configured name belongs to another Qlik tenant. */
export class StateOwnerMismatchError extends TenantCheckFailure {
  override readonly name = 'StateOwnerMismatchError';
  constructor(
    readonly stateKey: string,
    readonly stateTenantId: string,
    readonly answeredTenantId: string,
    tenantUrl: string,
  ) {
    super(
      'bad-input',
      `the drift state of ${stateKey} belongs to tenant ${stateTenantId}, but ${tenantUrl} answers as tenant ` +
        `${answeredTenantId}; give this tenant its own name, or delete the old state to start afresh`,
    );
  }
}

/**
 * The tenant answers with a tenant id that other configured tenants claim too (by their drift state, or by answering
 * with it in this run). Reports are stored per tenant id, so checking it could take another tenant's archive slot or
 * make that tenant's run pass as a duplicate: every configured tenant involved is an error until each answers as
 * itself.
 */
export class TenantIdConflictError extends TenantCheckFailure {
  override readonly name = 'TenantIdConflictError';
  constructor(
    readonly tenantId: string,
    readonly others: readonly string[],
    tenantUrl: string,
  ) {
    const who =
      others.length === 1
        ? `configured tenant ${others[0]} also does`
        : `configured tenants ${others.join(', ')} also do`;
    super(
      'bad-response',
      `${tenantUrl} answers as tenant ${tenantId}, and ${who} (in this run or by its drift state); one configured ` +
        'tenant must never take the reports of another, so none of them is checked until each answers with its own ' +
        'tenant id: check the URL and the credential of each',
    );
  }
}

/**
 * This tenant's run is archived already, but this configured tenant did not finish it (its drift state does not
 * name the run): another configured tenant answering with the same tenant id took the slot.
 */
export class ArchiveSlotTakenError extends TenantCheckFailure {
  override readonly name = 'ArchiveSlotTakenError';
  constructor(
    readonly tenantId: string,
    readonly runId: string,
  ) {
    super(
      'bad-response',
      `run ${runId} of tenant ${tenantId} is archived already, but not by this configured tenant: another configured ` +
        'tenant answering with the same tenant id took its place (or an earlier invocation stopped before saving the ' +
        'drift state); nothing of this run was sent for it',
    );
  }
}

/**
 * The drift state read is not the one the last archived run saved: its SHA-256 differs from the one that run's
 * manifest records. The check goes on with the state set aside (every finding counts as new) and a health alert.
 */
export class StateMismatchError extends Error {
  override readonly name = 'StateMismatchError';
  constructor(
    readonly stateLocation: string,
    readonly manifestKey: string,
    readonly recordedSha256: string,
    readonly foundSha256: string,
  ) {
    super(
      `the drift state ${stateLocation} (SHA-256 ${foundSha256}) is not the one the last archived run saved ` +
        `(${recordedSha256}, recorded in ${manifestKey}); it was set aside and every finding counts as new`,
    );
  }
}

/** The tenant was checked, but its report could not be stored. */
export class ArchiveError extends Error {
  override readonly name = 'ArchiveError';
  constructor(
    readonly tenantId: string,
    cause: unknown,
  ) {
    super(`the report could not be stored: ${messageOf(cause)}`, { cause });
  }
}

/** The tenant's alerts (all or some) could not be delivered. */
export class AlertDeliveryError extends Error {
  override readonly name = 'AlertDeliveryError';
  constructor(
    /** The tenant's configured name. */
    readonly tenant: string,
    cause: unknown,
  ) {
    super(`${tenant}: ${messageOf(cause)}`, { cause });
  }
}

function codeOf(cause: unknown): CheckErrorCode {
  if (cause instanceof CheckError) return cause.code;
  if (cause instanceof DeadlineExceededError) return 'timeout';
  // Anything else is a defect or an unexpected body.
  return 'bad-response';
}

function collectMessageOf(cause: unknown): string {
  // The message is ours or the runtime's, never a credential.
  return cause instanceof DeadlineExceededError ? `the tenant check ${cause.message}` : messageOf(cause);
}
