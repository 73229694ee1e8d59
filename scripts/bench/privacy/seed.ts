import type { Sql } from "postgres";
import { PRIVACY_POLICY_VERSION } from "#bot/privacy/policy";
import { recordConsent } from "#db/consents";
import { messageIdentity } from "#db/messages";
import { addMember, upsertTeam } from "#db/teams";
import { upsertUser } from "#db/users";
import type { Vault } from "#db/vault";
import { mulberry32, pick } from "../webhook/random.ts";
import { chatText } from "./updates.ts";

/**
 * Teams whose members all consent to the current notice (their group messages are stored)
 * and one person, the exporter, whose 100,000 stored messages are exported and erased (and,
 * with BENCH_EXPORT_MESSAGES, a second exporter with that many messages).
 * Everything personal goes through the same functions and vault the service uses, so the
 * service can open what was seeded.
 */

const CHATS = 100;
const MEMBERS = 1000;
const TASKS_PER_CHAT = 10;
const CONCURRENCY = 4;

export interface Chat {
  id: number;
  title: string;
}

export interface Person {
  id: number;
  firstName: string;
  username: string;
  chats: Chat[];
}

export interface Seed {
  chats: Chat[];
  members: Person[];
  exporter: Person;
  memberships: number;
  tasks: number;
}

export async function seedPeople(sql: Sql, vault: Vault): Promise<Seed> {
  const random = mulberry32(20_240_602);
  const now = new Date();
  const chats: Chat[] = Array.from({ length: CHATS }, (_, i) => ({
    id: -1_001_100_000_001 - i,
    title: `Team ${i + 1}`,
  }));
  const members: Person[] = Array.from({ length: MEMBERS }, (_, i) => ({
    id: 710_000_001 + i,
    firstName: `Member${i + 1}`,
    username: `privacy_member_${i + 1}`,
    chats: [],
  }));
  for (const [i, person] of members.entries()) {
    // Round-robin first so every team has members, then up to two more teams at random.
    const wanted = 1 + Math.floor(random() * 3);
    const first = chats[i % CHATS];
    if (first) person.chats.push(first);
    while (person.chats.length < wanted) {
      const chat = pick(chats, random);
      if (!person.chats.includes(chat)) person.chats.push(chat);
    }
  }
  for (const chat of chats) await upsertTeam(sql, chat, now);
  await inParallel(members, (person) => seedPerson(sql, vault, person, false, now));
  const exporter = await seedExporter(sql, vault, 1);

  const taskRows = chats.flatMap((chat) => {
    const inChat = members.filter((m) => m.chats.includes(chat));
    return Array.from({ length: TASKS_PER_CHAT }, (_, n) => ({
      teamId: chat.id,
      // Plain, as an older version stored them: the service seals them at start.
      legacyTitle: `Task ${n + 1} of ${chat.title}`,
      creatorId: pick(inChat, random).id,
      assigneeId: pick(inChat, random).id,
    }));
  });
  await sql`insert into tasks ${sql(taskRows, "teamId", "legacyTitle", "creatorId", "assigneeId")}`;

  return {
    chats,
    members,
    exporter,
    memberships: members.reduce((sum, m) => sum + m.chats.length, 0) + 1,
    tasks: taskRows.length,
  };
}

/**
 * Exporter number `n` (the first is measured by every run, a second only on request), in
 * a team of their own, having started the bot in private so an export may be sent to them.
 */
export async function seedExporter(sql: Sql, vault: Vault, n: number): Promise<Person> {
  const chat: Chat = { id: -1_001_200_000_000 - n, title: `Exporter ${n}'s team` };
  const exporter: Person = {
    id: 720_000_000 + n,
    firstName: `Exporter${n}`,
    username: `privacy_exporter_${n}`,
    chats: [chat],
  };
  const now = new Date();
  await upsertTeam(sql, chat, now);
  await seedPerson(sql, vault, exporter, true, now);
  return exporter;
}

async function seedPerson(
  sql: Sql,
  vault: Vault,
  person: Person,
  startedPrivately: boolean,
  now: Date,
): Promise<void> {
  const profile = {
    id: person.id,
    firstName: person.firstName,
    lastName: null,
    username: person.username,
    languageCode: "en",
  };
  await upsertUser(sql, vault, profile, startedPrivately, now);
  await recordConsent(
    sql,
    person.id,
    { granted: true, policyVersion: PRIVACY_POLICY_VERSION, source: "bot" },
    now,
  );
  for (const chat of person.chats) await addMember(sql, chat.id, person.id, now);
}

/** The text of the exporter's message number `n`: the export is checked against it. */
export function storedText(n: number): string {
  return chatText(mulberry32(n));
}

/**
 * `count` group messages by `person` in their team, sealed as the recorder seals them,
 * up to now and all within the last 60 days, inserted a few thousand per statement.
 */
export async function seedMessages(
  sql: Sql,
  vault: Vault,
  person: Person,
  count: number,
): Promise<void> {
  const chat = person.chats[0];
  if (!chat) throw new Error("the exporter belongs to no team");
  // A minute apart, closer for a million: all of them within the default 90-day retention.
  const step = Math.min(60_000, Math.floor((60 * 86_400_000) / count));
  const start = Date.now() - (count + 1) * step;
  const CHUNK = 5000;
  for (let first = 1; first <= count; first += CHUNK) {
    const rows = [];
    for (let n = first; n < Math.min(first + CHUNK, count + 1); n++) {
      rows.push({
        chatId: chat.id,
        messageId: n,
        teamId: chat.id,
        authorId: person.id,
        text: vault.seal(storedText(n), messageIdentity(chat.id, n)),
        date: new Date(start + n * step),
      });
    }
    await sql`insert into messages ${sql(rows, "chatId", "messageId", "teamId", "authorId", "text", "date")}`;
  }
  // Fresh statistics, as a long-lived table would have: the export reads by author.
  await sql`analyze messages`;
}

async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let item = items[next++]; item !== undefined; item = items[next++]) await work(item);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}
