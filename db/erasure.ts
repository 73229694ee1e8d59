import { anonymiseKeptActions } from "./audit.ts";
import type { Db } from "./client.ts";

/** Column aliases arrive camelCased (db/client.ts), so the SQL says private_tasks. */
export interface ErasureCounts {
  messages: number;
  consents: number;
  privateTasks: number;
  teamTasksUnlinked: number;
  /** Tasks made from the person's messages: the team keeps them, without the link to them. */
  tasksFromMessagesUnlinked: number;
  memberships: number;
  formStates: number;
  auditEntries: number;
}

/**
 * A private task goes with its creator, and with its assignee when nobody else is left on
 * it (its creator was erased before): nobody could see it any more.
 */
const privateTaskGoes = (db: Db, userId: number) => db`
  team_id is null
  and (creator_id = ${userId} or (assignee_id = ${userId} and creator_id is null))`;

/**
 * Erases a person, in the caller's transaction so it happens whole or not at all: their
 * messages, consents, form state, confirmations, personal digest, memberships, profile and
 * private tasks go;
 * team tasks stay with the team and lose the link (creator/assignee become null through
 * the foreign keys, marked as a deleted user); tasks made from their messages stay with
 * the team without the link to them or to their message; what the audit trail said about them goes
 * (the caller then writes the one record of the erasure), except the records of their admin
 * actions on everyone's data, which stay with ERASED_ADMIN as the actor.
 */
export async function eraseUser(
  db: Db,
  userId: number,
  personHash: string,
): Promise<ErasureCounts> {
  // Before the trail's entries about the person go: these stay, naming nobody.
  await anonymiseKeptActions(db, personHash);
  const [counts] = await db<ErasureCounts[]>`
    with
      messages_gone as (delete from messages where author_id = ${userId} returning 1),
      consents_gone as (delete from consents where user_id = ${userId} returning 1),
      forms_gone as (delete from conversations where user_id = ${userId} returning 1),
      confirmations_gone as (delete from confirmations where user_id = ${userId} returning 1),
      -- A personal digest's chat is the person's private chat: its id is theirs.
      digest_gone as (
        delete from digests where kind = 'personal' and chat_id = ${userId} returning 1
      ),
      private_gone as (
        delete from tasks where ${privateTaskGoes(db, userId)} returning 1
      ),
      memberships_gone as (delete from team_members where user_id = ${userId} returning 1),
      -- Messages still waiting to reach their private chat (their texts name their tasks).
      outbox_gone as (delete from outbox where chat_id = ${userId}),
      audit_gone as (
        delete from audit_log where actor = ${personHash} or target = ${personHash} returning 1
      )
    select
      (select count(*) from messages_gone)::int as messages,
      (select count(*) from consents_gone)::int as consents,
      (select count(*) from private_gone)::int as private_tasks,
      (select count(*)::int from tasks
        where (creator_id = ${userId} or assignee_id = ${userId})
          and not (${privateTaskGoes(db, userId)})) as team_tasks_unlinked,
      (select count(*) from memberships_gone)::int as memberships,
      (select count(*) from forms_gone)::int as form_states,
      (select count(*) from audit_gone)::int as audit_entries,
      (select count(*) from confirmations_gone)::int as confirmations,
      (select count(*) from digest_gone)::int as digests
  `;
  // The other side of a task may be null (nobody, or someone erased before): "is not
  // distinct from" stays false there, where "=" would be null and break the not-null flag.
  await db`
    update tasks
    set creator_erased = creator_erased or creator_id is not distinct from ${userId},
        assignee_erased = assignee_erased or assignee_id is not distinct from ${userId}
    where creator_id = ${userId} or assignee_id = ${userId}`;
  // The copy of their words stays with the team, as the notice says; who wrote it and
  // where (the message's address names its author in the chat) no longer does.
  const fromMessages = await db`
    update tasks set source_author_id = null, source_chat_id = null, source_message_id = null
    where source_author_id = ${userId}`;
  // Last, once nothing refers to the row but the task links its foreign keys clear.
  await db`delete from users where id = ${userId}`;
  if (!counts) throw new Error("erasure returned no counts");
  const {
    confirmations: _,
    digests: __,
    ...rest
  } = counts as ErasureCounts & { confirmations: number; digests: number };
  return { ...rest, tasksFromMessagesUnlinked: fromMessages.count };
}

type ErasurePreview = Pick<
  ErasureCounts,
  "messages" | "privateTasks" | "teamTasksUnlinked" | "tasksFromMessagesUnlinked" | "memberships"
>;

/** What /delete would remove, for its confirmation message. */
export async function erasurePreview(db: Db, userId: number): Promise<ErasurePreview> {
  const [row] = await db<ErasurePreview[]>`
    select
      (select count(*)::int from messages where author_id = ${userId}) as messages,
      (select count(*)::int from tasks where ${privateTaskGoes(db, userId)}) as private_tasks,
      (select count(*)::int from tasks
        where (creator_id = ${userId} or assignee_id = ${userId})
          and not (${privateTaskGoes(db, userId)})) as team_tasks_unlinked,
      (select count(*)::int from tasks where source_author_id = ${userId}
        and not (${privateTaskGoes(db, userId)})) as tasks_from_messages_unlinked,
      (select count(*)::int from team_members where user_id = ${userId}) as memberships
  `;
  return (
    row ?? {
      messages: 0,
      privateTasks: 0,
      teamTasksUnlinked: 0,
      tasksFromMessagesUnlinked: 0,
      memberships: 0,
    }
  );
}
