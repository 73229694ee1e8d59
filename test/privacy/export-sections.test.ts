import { beforeEach, describe, expect, it } from "vitest";
import { createIdHasher } from "#bot/lib/logger";
import { exportDocument } from "#bot/privacy/core/export";
import { writeAudit } from "#db/audit";
import { sealTaskText } from "#db/task-texts";
import { addMember, upsertTeam } from "#db/teams";
import { upsertUser } from "#db/users";
import { createVault } from "#db/vault";
import { EXPORT_SECTIONS } from "#test/helpers/exports";
import { FakeClock } from "../helpers/clock.ts";
import { emptyTables, useTestDatabase } from "../helpers/db.ts";
import { TEST_SECRETS } from "../helpers/secrets.ts";

/**
 * The sections before and after the messages, written by PostgreSQL with the sealed names
 * and task texts opened and spliced in: each says exactly what is stored, with the keys in
 * the export's order, whatever characters the texts hold.
 */

const db = useTestDatabase();
const vault = createVault(TEST_SECRETS.encryptionKeys, TEST_SECRETS.hashSecret);
const hashId = createIdHasher(TEST_SECRETS.hashSecret);
const clock = new FakeClock("2026-11-28T10:00:00Z");
const rules = { defaultDays: 90, minDays: 1, maxDays: 3650 };

const ALICE = 801;
const BOB = 802;
const TEAM = -100801;

/** Texts that JSON must escape, and one holding the placeholder character itself. */
const AWKWARD = 'quotes " \\ \u0001 \n\t, кириллица 🎉 \u2028';

const at = (iso: string) => new Date(iso);

async function readDocument(): Promise<Record<string, unknown>> {
  const decoder = new TextDecoder();
  let text = "";
  const sources = { sql: db.sql, vault, hashId, rules };
  for await (const chunk of exportDocument(sources, ALICE, clock.now())) {
    text += decoder.decode(chunk, { stream: true });
  }
  return JSON.parse(text + decoder.decode());
}

async function insertTask(task: {
  id: number;
  title: string;
  description: string | null;
  creator: number | null;
  assignee: number | null;
  sourceAuthor?: number;
  repeat?: object;
}): Promise<void> {
  await db.sql`
    insert into tasks (id, team_id, title, description, status, priority, creator_id, assignee_id,
                       due_at, due_has_time, done_at, source_chat_id, source_message_id,
                       source_date, source_author_id, repeat, repeat_zone, card_message_id,
                       created_at, updated_at)
    values (${task.id}, ${TEAM}, ${sealTaskText(vault, task.id, "title", task.title)},
            ${sealTaskText(vault, task.id, "description", task.description)},
            'open', 'high', ${task.creator}, ${task.assignee},
            ${at("2026-11-30T09:00:00.123Z")}, true, null,
            ${task.sourceAuthor === undefined ? null : TEAM},
            ${task.sourceAuthor === undefined ? null : 55},
            ${task.sourceAuthor === undefined ? null : at("2026-11-27T08:00:00Z")},
            ${task.sourceAuthor ?? null},
            ${task.repeat === undefined ? null : db.sql.json(task.repeat as never)},
            ${task.repeat === undefined ? null : "Europe/Kyiv"}, 77,
            ${at("2026-11-20T10:00:00Z")}, ${at("2026-11-21T10:00:00.5Z")})
  `;
}

beforeEach(async () => {
  await emptyTables(db.sql);
  clock.set("2026-11-28T10:00:00Z");
  await upsertUser(
    db.sql,
    vault,
    { id: ALICE, firstName: AWKWARD, lastName: null, username: "alice", languageCode: "uk" },
    true,
    at("2026-11-01T00:00:00Z"),
  );
  await upsertUser(
    db.sql,
    vault,
    { id: BOB, firstName: "Bob", lastName: "B", username: "bobby", languageCode: null },
    true,
    at("2026-11-01T00:00:00Z"),
  );
  await db.sql`
    update users set timezone = 'Europe/Kyiv', quiet_start = 1320, quiet_end = 425,
                     consent_version = 2, consent_prompted_version = 3,
                     created_at = ${at("2026-11-01T00:00:00Z")},
                     updated_at = ${at("2026-11-02T00:00:00Z")}
    where id = ${ALICE}`;
  await upsertTeam(db.sql, { id: TEAM, title: `Team "${AWKWARD}"` }, at("2026-11-01T00:00:00Z"));
  await addMember(db.sql, TEAM, ALICE, at("2026-11-03T04:05:06.789Z"));
});

describe("the export's sections", () => {
  it("say what is stored, the sealed texts opened, keys in the export's order", async () => {
    await db.sql`
      insert into consents (user_id, granted, policy_version, source, created_at) values
        (${ALICE}, true, 1, 'bot', ${at("2026-11-05T00:00:00Z")}),
        (${ALICE}, false, 2, 'miniapp', ${at("2026-11-06T00:00:00Z")})`;
    await db.sql`
      insert into digests (chat_id, kind, at_minute, timezone, mention, last_sent_on)
      values (${ALICE}, 'personal', 510, 'Europe/Kyiv', true, '2026-11-27')`;
    await insertTask({
      id: 11,
      title: AWKWARD,
      description: `Described: ${AWKWARD}`,
      creator: ALICE,
      assignee: BOB,
      repeat: { every: "week", weekdays: [1, 3] },
    });
    await insertTask({
      id: 12,
      title: "Bob's for Alice",
      description: null,
      creator: BOB,
      assignee: ALICE,
    });
    await insertTask({
      id: 13,
      title: "From Alice's words",
      description: null,
      creator: BOB,
      assignee: BOB,
      sourceAuthor: ALICE,
    });
    // Tasks with a due time get their default reminders: these replace them.
    await db.sql`delete from reminders`;
    await db.sql`
      insert into reminders (task_id, offset_minutes, remind_at, state, done_at) values
        (11, 60, ${at("2026-11-30T08:00:00.123Z")}, 'sent', ${at("2026-11-30T08:00:01Z")}),
        (11, 0, ${at("2026-11-30T09:00:00.123Z")}, 'pending', null)`;
    await db.sql`
      insert into confirmations (token, user_id, action, payload, expires_at)
      values ('secret-token', ${ALICE}, 'erase', ${db.sql.json({ expected: 3 })},
              ${at("2026-11-28T10:05:00Z")})`;
    await writeAudit(db.sql, {
      at: at("2026-11-05T00:00:00Z"),
      action: "consent.given",
      actor: hashId(ALICE),
      target: hashId(ALICE),
      counts: { policy_version: 1 },
    });
    await writeAudit(db.sql, {
      at: at("2026-11-07T00:00:00Z"),
      action: "messages.deleted",
      actor: hashId(BOB),
      target: hashId(ALICE),
      counts: { messages: 4, teams: 1 },
    });

    const document = await readDocument();

    expect(Object.keys(document)).toEqual(EXPORT_SECTIONS);
    expect(document.exported_at).toBe("2026-11-28T10:00:00.000Z");
    // toStrictEqual on parsed JSON also checks the keys' order through Object.keys below.
    const user = {
      id: ALICE,
      first_name: AWKWARD,
      last_name: null,
      username: "alice",
      language_code: "uk",
      timezone: "Europe/Kyiv",
      quiet_hours: { start: "22:00", end: "07:05" },
      consent_version: 2,
      consent_prompted_version: 3,
      last_export_at: null,
      started_at: "2026-11-01T00:00:00.000Z",
      blocked_at: null,
      created_at: "2026-11-01T00:00:00.000Z",
      updated_at: "2026-11-02T00:00:00.000Z",
    };
    expect(document.user).toEqual(user);
    expect(Object.keys(document.user as object)).toEqual(Object.keys(user));
    expect(document.consents).toEqual([
      { granted: true, policy_version: 1, source: "bot", at: "2026-11-05T00:00:00.000Z" },
      { granted: false, policy_version: 2, source: "miniapp", at: "2026-11-06T00:00:00.000Z" },
    ]);
    expect(document.teams).toEqual([
      { id: TEAM, title: `Team "${AWKWARD}"`, joined_at: "2026-11-03T04:05:06.789Z" },
    ]);
    expect(document.digest).toEqual({
      at: "08:30",
      timezone: "Europe/Kyiv",
      mention: true,
      last_sent_on: "2026-11-27",
    });
    const head = (id: number, title: string, description: string | null, source: boolean) => ({
      id,
      team_id: TEAM,
      title,
      description,
      status: "open",
      source_chat_id: source ? TEAM : null,
      source_message_id: source ? 55 : null,
      source_date: source ? "2026-11-27T08:00:00.000Z" : null,
      created_at: "2026-11-20T10:00:00.000Z",
    });
    const task = (
      id: number,
      title: string,
      description: string | null,
      people: { creator: number; assignee: number },
      rest: { repeat: object | null; reminders: object[] },
    ) => ({
      ...head(id, title, description, false),
      priority: "high",
      creator_id: people.creator,
      assignee_id: people.assignee,
      due_at: "2026-11-30T09:00:00.123Z",
      due_has_time: true,
      done_at: null,
      updated_at: "2026-11-21T10:00:00.500Z",
      repeat: rest.repeat,
      repeat_zone: rest.repeat ? "Europe/Kyiv" : null,
      series_id: null,
      next_id: null,
      card_message_id: 77,
      creator_erased: false,
      assignee_erased: false,
      reminders: rest.reminders,
    });
    const created = task(
      11,
      AWKWARD,
      `Described: ${AWKWARD}`,
      { creator: ALICE, assignee: BOB },
      {
        repeat: { every: "week", weekdays: [1, 3] },
        reminders: [
          {
            offset_minutes: 0,
            remind_at: "2026-11-30T09:00:00.123Z",
            state: "pending",
            done_at: null,
          },
          {
            offset_minutes: 60,
            remind_at: "2026-11-30T08:00:00.123Z",
            state: "sent",
            done_at: "2026-11-30T08:00:01.000Z",
          },
        ],
      },
    );
    expect(document.tasks_created).toEqual([created]);
    const [first] = document.tasks_created as object[];
    expect(Object.keys(first ?? {})).toEqual(Object.keys(created));
    expect(document.tasks_assigned).toEqual([
      task(
        12,
        "Bob's for Alice",
        null,
        { creator: BOB, assignee: ALICE },
        {
          repeat: null,
          reminders: [],
        },
      ),
    ]);
    expect(document.tasks_from_my_messages).toEqual([head(13, "From Alice's words", null, true)]);
    expect(document.forms_in_progress).toEqual([]);
    expect(document.confirmations).toEqual([
      { action: "erase", payload: { expected: 3 }, expires_at: "2026-11-28T10:05:00.000Z" },
    ]);
    expect(document.messages).toEqual([]);
    expect(document.audit).toEqual([
      {
        at: "2026-11-05T00:00:00.000Z",
        action: "consent.given",
        by_you: true,
        counts: { policy_version: 1 },
      },
      {
        at: "2026-11-07T00:00:00.000Z",
        action: "messages.deleted",
        by_you: false,
        counts: { messages: 4, teams: 1 },
      },
    ]);
  });

  it("are empty lists, no digest and the person by id alone when nothing is stored", async () => {
    await emptyTables(db.sql);
    const document = await readDocument();
    expect(document).toEqual({
      format_version: 1,
      exported_at: "2026-11-28T10:00:00.000Z",
      user: { id: ALICE },
      consents: [],
      teams: [],
      digest: null,
      tasks_created: [],
      tasks_assigned: [],
      tasks_from_my_messages: [],
      forms_in_progress: [],
      confirmations: [],
      messages: [],
      audit: [],
    });
  });
});
