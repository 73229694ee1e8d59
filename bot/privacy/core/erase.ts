import { writeAudit } from "#db/audit";
import { type ErasureCounts, eraseUser, erasurePreview } from "#db/erasure";
import type { PrivacyDeps, PrivacyOperation } from "./types.ts";

export type ErasurePreview = Awaited<ReturnType<typeof erasurePreview>>;

/** What erasing the actor would remove and keep, for the confirmation. */
export async function previewErasure(op: PrivacyOperation): Promise<ErasurePreview> {
  return erasurePreview(op.db, op.actor.userId);
}

/**
 * Erases everything about the actor in the unit's transaction and leaves only the audit
 * record of it: the one erasure behind /delete and DELETE /api/me. Every cache of people
 * forgets them once it has committed, on every instance.
 */
export async function erase(op: PrivacyOperation, deps: PrivacyDeps): Promise<ErasureCounts> {
  const { userId } = op.actor;
  const hash = deps.hashId(userId);
  const counts = await eraseUser(op.db, userId, hash);
  await writeAudit(op.db, {
    at: op.now,
    action: "erasure.done",
    actor: hash,
    target: hash,
    counts: {
      messages: counts.messages,
      consents: counts.consents,
      private_tasks: counts.privateTasks,
      team_tasks_unlinked: counts.teamTasksUnlinked,
      tasks_from_messages_unlinked: counts.tasksFromMessagesUnlinked,
      memberships: counts.memberships,
      form_states: counts.formStates,
    },
  });
  op.effects.forget(userId);
  return counts;
}
