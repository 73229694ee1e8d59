import { type IncomingMessage, storeMessage } from "#db/messages";
import { PRIVACY_POLICY_VERSION } from "../policy.ts";
import type { PrivacyDeps, PrivacyOperation } from "./types.ts";

export type { IncomingMessage } from "#db/messages";

/**
 * Keeps the actor's group message if they consent to the current notice. The database
 * decides in the same statement that stores (a withdrawal on any instance stops recording
 * at once); an edit of a message whose author no longer consents removes the stored copy.
 */
export async function recordMessage(
  op: PrivacyOperation,
  deps: Pick<PrivacyDeps, "vault">,
  message: Omit<IncomingMessage, "authorId">,
): Promise<boolean> {
  return storeMessage(
    op.db,
    deps.vault,
    { ...message, authorId: op.actor.userId },
    PRIVACY_POLICY_VERSION,
  );
}
