/**
 * Every stored column about a person, and where it appears in their export (a path in the
 * export document: `tasks_created[].due_at`) or why it does not. The test
 * test/privacy/export-coverage.test.ts reads the live schema and fails when a table or a
 * column is in neither this file nor NOT_ABOUT_PEOPLE, when a table listed as not about
 * people refers to a person, and when a path here is missing from a real export.
 *
 * Adding a column to a table below: add one line, `exported("section[].field")` after
 * adding it to the export (bot/privacy/export.ts, db/export.ts), or `kept("why")`.
 */

export type Coverage = { readonly exported: string } | { readonly notExported: string };

const exported = (path: string): Coverage => ({ exported: path });
const kept = (reason: string): Coverage => ({ notExported: reason });

const ROW_NUMBER = kept("an internal row number; it says nothing about the person");

export interface PersonalTable {
  /** The columns that make a row someone's, and how (documentation for the reader). */
  readonly belongsBy: string;
  readonly columns: Readonly<Record<string, Coverage>>;
}

export const PERSONAL_DATA: Readonly<Record<string, PersonalTable>> = {
  users: {
    belongsBy: "id: the person",
    columns: {
      id: exported("user.id"),
      first_name: exported("user.first_name"),
      last_name: exported("user.last_name"),
      username: exported("user.username"),
      language_code: exported("user.language_code"),
      timezone: exported("user.timezone"),
      quiet_start: exported("user.quiet_hours.start"),
      quiet_end: exported("user.quiet_hours.end"),
      consent_version: exported("user.consent_version"),
      consent_prompted_version: exported("user.consent_prompted_version"),
      exported_at: exported("user.last_export_at"),
      started_at: exported("user.started_at"),
      blocked_at: exported("user.blocked_at"),
      created_at: exported("user.created_at"),
      updated_at: exported("user.updated_at"),
      username_hash: kept(
        "a keyed hash of the username (exported in clear), to find @username without decrypting every row",
      ),
      profile_hash: kept(
        "a keyed hash of the profile (exported in clear), to skip rewriting an unchanged one",
      ),
    },
  },
  team_members: {
    belongsBy: "user_id",
    columns: {
      team_id: exported("teams[].id"),
      user_id: exported("user.id"),
      joined_at: exported("teams[].joined_at"),
    },
  },
  consents: {
    belongsBy: "user_id",
    columns: {
      id: ROW_NUMBER,
      user_id: exported("user.id"),
      granted: exported("consents[].granted"),
      policy_version: exported("consents[].policy_version"),
      source: exported("consents[].source"),
      created_at: exported("consents[].at"),
    },
  },
  messages: {
    belongsBy: "author_id",
    columns: {
      id: ROW_NUMBER,
      chat_id: exported("messages[].chat_id"),
      team_id: exported("messages[].team_id"),
      message_id: exported("messages[].message_id"),
      author_id: exported("user.id"),
      text: exported("messages[].text"),
      date: exported("messages[].date"),
      reply_to_message_id: exported("messages[].reply_to_message_id"),
      edited_at: exported("messages[].edited_at"),
    },
  },
  tasks: {
    belongsBy: "creator_id, assignee_id, source_author_id",
    columns: {
      id: exported("tasks_created[].id"),
      team_id: exported("tasks_created[].team_id"),
      title: exported("tasks_created[].title"),
      description: exported("tasks_created[].description"),
      status: exported("tasks_created[].status"),
      priority: exported("tasks_created[].priority"),
      creator_id: exported("tasks_created[].creator_id"),
      assignee_id: exported("tasks_created[].assignee_id"),
      due_at: exported("tasks_created[].due_at"),
      due_has_time: exported("tasks_created[].due_has_time"),
      done_at: exported("tasks_created[].done_at"),
      source_chat_id: exported("tasks_created[].source_chat_id"),
      source_message_id: exported("tasks_created[].source_message_id"),
      source_date: exported("tasks_created[].source_date"),
      created_at: exported("tasks_created[].created_at"),
      updated_at: exported("tasks_created[].updated_at"),
      repeat: exported("tasks_created[].repeat"),
      repeat_zone: exported("tasks_created[].repeat_zone"),
      series_id: exported("tasks_created[].series_id"),
      next_id: exported("tasks_created[].next_id"),
      card_message_id: exported("tasks_created[].card_message_id"),
      creator_erased: exported("tasks_created[].creator_erased"),
      assignee_erased: exported("tasks_created[].assignee_erased"),
      // The author of the message a task copies: their export lists it in tasks_from_my_messages.
      source_author_id: exported("user.id"),
      legacy_title: kept(
        "plain text from before task texts were sealed (migration 0007); emptied at the service's start",
      ),
      legacy_description: kept(
        "plain text from before task texts were sealed (migration 0007); emptied at the service's start",
      ),
    },
  },
  reminders: {
    belongsBy: "task_id: a task the person created or is assigned (tasks.creator_id, assignee_id)",
    columns: {
      id: ROW_NUMBER,
      task_id: exported("tasks_created[].id"),
      offset_minutes: exported("tasks_created[].reminders[].offset_minutes"),
      remind_at: exported("tasks_created[].reminders[].remind_at"),
      state: exported("tasks_created[].reminders[].state"),
      done_at: exported("tasks_created[].reminders[].done_at"),
    },
  },
  digests: {
    belongsBy: "chat_id, where kind = 'personal': the person's private chat, whose id is theirs",
    columns: {
      chat_id: exported("user.id"),
      kind: kept("always 'personal' for a person's row; a team's digest belongs to the team"),
      at_minute: exported("digest.at"),
      timezone: exported("digest.timezone"),
      mention: exported("digest.mention"),
      last_sent_on: exported("digest.last_sent_on"),
    },
  },
  conversations: {
    belongsBy: "user_id (no foreign key to users)",
    columns: {
      chat_id: exported("forms_in_progress[].chat_id"),
      user_id: exported("user.id"),
      state: exported("forms_in_progress[].answers"),
      updated_at: exported("forms_in_progress[].updated_at"),
    },
  },
  confirmations: {
    belongsBy: "user_id (no foreign key to users)",
    columns: {
      token: kept("the button's one-time secret; it says nothing about the person"),
      user_id: exported("user.id"),
      action: exported("confirmations[].action"),
      payload: exported("confirmations[].payload"),
      expires_at: exported("confirmations[].expires_at"),
    },
  },
  audit_log: {
    belongsBy: "actor, target: keyed hashes of the person's id",
    columns: {
      id: ROW_NUMBER,
      at: exported("audit[].at"),
      action: exported("audit[].action"),
      actor: exported("audit[].by_you"),
      target: kept(
        "a keyed hash of the person (or a team or setting, on admin actions); by_you says who acted",
      ),
      counts: exported("audit[].counts"),
    },
  },
  outbox: {
    belongsBy: "chat_id: a private chat's id is the person's (group chats are the group's)",
    columns: {
      id: ROW_NUMBER,
      chat_id: kept("where a message waits to go; it goes within seconds, or with their /delete"),
      method: kept("which Bot API call a waiting message is"),
      params: kept("a waiting message's buttons and formatting, without its text"),
      sealed_text: kept(
        "a waiting message's text, sealed; it reaches them as that message within seconds",
      ),
      write_back: kept("which task's group card a waiting message becomes"),
      created_at: kept("when a waiting message was queued"),
    },
  },
};

/** Tables that hold nothing about a person, and why. */
export const NOT_ABOUT_PEOPLE: Readonly<Record<string, string>> = {
  teams:
    "a group's own record (id, title, retention period); a person's groups are exported from team_members",
  settings: "service-wide settings such as the global retention period",
  processed_updates:
    "Telegram update ids and when they were handled, kept a day to drop redeliveries",
  schema_migrations: "which database migrations ran",
};
