import type { AuditActor } from '../model/audit';
import { messageOf } from '../model/errors';
import { actorOf, requestFields, type Identity } from './identity';
import { hashSecret, looksLikeApiToken, looksLikeSessionId } from './secrets';
import type { RequestContext, SecurityPorts } from './security-ports';

/**
 * The record of a refused request (quality bar R9): each 401 and 403 of the API is an `auth.refused`
 * entry in the audit trail — who tried (the user, the token, or what was presented when it was not
 * valid), which operation, and why. Failed sign-ins have their own entries (`auth.login_failed`,
 * written by the sign-in itself) and are not recorded twice.
 *
 * A refusal is written in a transaction of its own (there is no change to share one with) after the
 * refusal is decided; a failure to write it is logged and never turns the 401/403 into another answer.
 * A client hammering the API without credentials must not fill the database: each address has a
 * budget of entries per minute; past it one entry says how many refusals follow unrecorded until the
 * minute ends.
 */

export interface Refusal {
  status: number;
  code: string;
  message: string;
  method: string;
  path: string;
  operationId: string;
  /** The identity when it was valid (a role too low, a cross-site change); null otherwise. */
  identity: Identity | null;
  /** What the request presented, to name the caller when it was not valid. */
  bearerToken: string | null;
  sessionId: string | null;
}

export interface RefusalBudgetOptions {
  perMinute?: number;
  now?: () => number;
  /** Addresses tracked at most (bounded memory under a flood from many addresses). */
  maxAddresses?: number;
}

export const REFUSAL_BUDGET_DEFAULTS = { perMinute: 600, maxAddresses: 10_000 };

/** How many refusals of one address are recorded one by one in each minute. */
export class RefusalBudget {
  private readonly perMinute: number;
  private readonly maxAddresses: number;
  private readonly now: () => number;
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(options: RefusalBudgetOptions = {}) {
    this.perMinute = options.perMinute ?? REFUSAL_BUDGET_DEFAULTS.perMinute;
    this.maxAddresses = options.maxAddresses ?? REFUSAL_BUDGET_DEFAULTS.maxAddresses;
    this.now = options.now ?? Date.now;
  }

  /** 'record' within the budget, 'last' for the one that exhausts it (it says so), then 'skip'. */
  take(address: string | undefined): 'record' | 'last' | 'skip' {
    const key = address ?? 'unknown';
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now - window.start >= 60_000) {
      this.windows.delete(key);
      if (this.windows.size >= this.maxAddresses) this.windows.delete(this.windows.keys().next().value as string);
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count += 1;
    if (window.count < this.perMinute) return 'record';
    return window.count === this.perMinute ? 'last' : 'skip';
  }
}

export async function recordRefusal(
  ports: Pick<SecurityPorts, 'identities' | 'log'>,
  budget: RefusalBudget,
  refusal: Refusal,
  context: RequestContext,
): Promise<void> {
  const verdict = budget.take(context.ip);
  if (verdict === 'skip') return;
  try {
    const actor = refusal.identity ? actorOf(refusal.identity) : await presentedActor(ports, refusal);
    const details: Record<string, unknown> = { status: refusal.status, code: refusal.code, reason: refusal.message, method: refusal.method, path: refusal.path };
    if (verdict === 'last') details.budget = 'further refusals from this address are not recorded one by one until this minute ends';
    await ports.identities.change((tx) =>
      tx.audit({
        actor,
        action: 'auth.refused',
        target: { type: 'operation', id: refusal.operationId, name: `${refusal.method} ${refusal.path}`.slice(0, 300) },
        details,
        ...requestFields(context),
      }),
    );
  } catch (error) {
    ports.log.warn({ requestId: context.requestId, err: messageOf(error) }, 'a refused request could not be recorded in the audit trail');
  }
}

/** Who a refused request claimed to be: the owner of a known (revoked, expired) token, else what it sent. */
async function presentedActor(ports: Pick<SecurityPorts, 'identities'>, refusal: Refusal): Promise<AuditActor> {
  if (refusal.bearerToken) {
    const token = looksLikeApiToken(refusal.bearerToken) ? await ports.identities.findTokenBySecretHash(hashSecret(refusal.bearerToken)) : null;
    if (token) return { type: 'token', id: token.owner.id, name: token.owner.username, token: { id: token.id, name: token.name } };
    return { type: 'token', id: null, name: 'unknown token' };
  }
  if (refusal.sessionId && looksLikeSessionId(refusal.sessionId)) {
    const session = await ports.identities.findSession(hashSecret(refusal.sessionId));
    const user = session ? await ports.identities.getUser(session.userId) : null;
    if (user) return { type: 'user', id: user.id, name: user.username };
    return { type: 'user', id: null, name: 'ended session' };
  }
  return { type: 'user', id: null, name: 'anonymous' };
}
