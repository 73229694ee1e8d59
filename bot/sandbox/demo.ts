import { DateTime } from "luxon";
import type { Sql } from "postgres";
import { changeDigest } from "#bot/digests/core";
import { type IngestMemory, ingestChatter } from "#bot/ingest/core";
import { Conflict } from "#bot/lib/errors";
import type { IdHasher } from "#bot/lib/logger";
import type { Actor } from "#bot/lib/operation";
import { consent, consentStatus } from "#bot/privacy/core/consent";
import type { RetentionRules } from "#bot/retention/core/types";
import { setTaskStatus } from "#bot/tasks/core/change";
import { createTask, type NewTaskInput } from "#bot/tasks/core/create";
import type { TaskEffects, TaskOperation, TaskView } from "#bot/tasks/core/operation";
import {
  joinedTeam,
  learnPerson,
  learnTeam,
  leftTeam,
  type TeamsOperation,
  teamHasHistory,
} from "#bot/teams/core";
import type { Db } from "#db/client";
import type { Vault } from "#db/vault";
import { SANDBOX_GROUP, SANDBOX_PEOPLE, type SandboxPerson } from "./people.ts";

/**
 * Demo data on demand: a week in the life of a small team, written through the capabilities'
 * cores (people and the group, consent, group chatter through the batched ingest, tasks,
 * their reminders and repeat rules, the group's digest), so every rule they keep applies.
 * Times are the week before `now`; due dates fall around it.
 */

export interface DemoDeps {
  /** The pool: the ingest runs its own transactions; the rest runs in one. */
  sql: Sql;
  vault: Vault;
  /** How the audit trail names people (the consent records). */
  hashId: IdHasher;
  retention: { rules: RetentionRules };
  now: Date;
  /** Alice, Bob, Carol in their roles: the first is the group's admin. */
  people?: readonly [SandboxPerson, SandboxPerson, SandboxPerson];
  teamId?: number;
  teamTitle?: string;
  /**
   * The group's next message id. The sandbox's emulator hands them out, so what it shows and
   * what is stored agree; by default 1, 2, 3… (the team has no stored message yet).
   */
  nextMessageId?: () => number;
  /**
   * The next update id the chatter is claimed under. By default negative ids counted down
   * from `now`: Telegram's (and the emulator's) are positive, so a real update is never
   * taken for an update already seen.
   */
  nextUpdateId?: () => number;
}

/** A group message of the demo week, as it was sent (stored only if its author consented). */
export interface DemoMessage {
  messageId: number;
  authorId: number;
  text: string;
  date: Date;
  replyToMessageId: number | null;
  stored: boolean;
}

export interface DemoSeeded {
  teamId: number;
  /** Every group message, in order: the emulator can show the chat's history. */
  messages: DemoMessage[];
  tasks: { open: number; done: number };
}

/** The team already has tasks or stored messages: the demo fills only an empty team. */
export class DemoRefused extends Conflict {
  constructor(teamTitle: string) {
    super(
      `${teamTitle} already has tasks or messages, so no demo data was added. Demo data goes into an empty team: reset the sandbox (or use a fresh database) first.`,
      "demo_team_not_empty",
    );
  }
}

/** Demo tasks tell nobody: a week of history arriving at once would only be noise. */
const SILENT: TaskEffects = {
  taskEvent: () => undefined,
  groupCardChanged: () => undefined,
  groupCardRetired: () => undefined,
};

/** The runs of this process, one after another: see seedDemo. */
let previousRun: Promise<unknown> = Promise.resolve();

/**
 * Fills the team with a week of demo data, or refuses (DemoRefused) when it already has tasks
 * or messages. The people and the group may exist already (the sandbox's reset seeds them).
 * Runs in this process wait for each other: the check and the writes are several
 * transactions, so a second press of the button must see what the first one wrote.
 */
export function seedDemo(deps: DemoDeps): Promise<DemoSeeded> {
  const run = previousRun.then(() => seedWeek(deps));
  previousRun = run.catch(() => undefined);
  return run;
}

async function seedWeek(deps: DemoDeps): Promise<DemoSeeded> {
  const [alice, bob, carol] = deps.people ?? SANDBOX_PEOPLE;
  const team = {
    id: deps.teamId ?? SANDBOX_GROUP.id,
    title: deps.teamTitle ?? SANDBOX_GROUP.title,
  };
  const week = demoWeek(deps.now);
  let messageIds = 0;
  const nextMessageId = deps.nextMessageId ?? (() => ++messageIds);
  let updateIds = -deps.now.getTime();
  const nextUpdateId = deps.nextUpdateId ?? (() => --updateIds);
  const people = { alice, bob, carol };

  // A week ago: everyone has started the bot and is in the group; Alice and Bob consent.
  await deps.sql.begin(async (db) => {
    const at = week.past(7, 8, 0);
    const teams = (userId: number): TeamsOperation => teamsOp(db, at, userId);
    if (await teamHasHistory(teams(alice.id), team.id)) throw new DemoRefused(team.title);
    await learnTeam(teams(alice.id), team);
    for (const person of [alice, bob, carol]) {
      await learnPerson(teams(person.id), deps, {
        profile: profileOf(person),
        wrotePrivately: true,
      });
      // Members since then, so the week's messages are theirs to see (an empty team: nothing
      // of theirs hangs on the membership being replaced).
      await leftTeam(teams(person.id), { teamId: team.id, userId: person.id });
      await joinedTeam(teams(person.id), { teamId: team.id, userId: person.id });
    }
    for (const person of [alice, bob]) await giveConsent(db, deps, person.id, week.past(7, 8, 5));
    await changeDigest(
      { db, now: week.past(7, 8, 10), actor: actor(alice.id), effects: {} },
      { isGroupAdmin: async (_teamId, userId) => userId === alice.id },
      { target: { kind: "team", teamId: team.id }, atMinute: 9 * 60, timezone: "UTC" },
    );
  });

  const script = chatter(week, people);
  const sent = script.map((line) => ({ ...line, messageId: nextMessageId() }));
  const idOf = (key: string) => sent.find((line) => line.key === key)?.messageId ?? null;
  const messages: DemoMessage[] = sent.map((line) => ({
    messageId: line.messageId,
    authorId: line.author.id,
    text: line.text,
    date: line.date,
    replyToMessageId: line.replyTo ? idOf(line.replyTo) : null,
    stored: false,
  }));
  const chat = (from: Date, to: Date) => messages.filter((m) => m.date >= from && m.date < to);

  // Carol consents only three days ago: what she wrote before is not kept (unless she had
  // consented already, before the demo).
  const carolConsents = week.past(3, 8, 0);
  const carolConsented = await consentsNow(deps, carol.id, carolConsents);
  await ingest(deps, team, people, chat(week.past(7, 0, 0), carolConsents), nextUpdateId);
  await deps.sql.begin((db) => giveConsent(db, deps, carol.id, carolConsents));
  await ingest(deps, team, people, chat(carolConsents, deps.now), nextUpdateId);
  for (const message of messages) {
    message.stored =
      message.authorId !== carol.id || message.date >= carolConsents || carolConsented;
  }

  const tasks = await deps.sql.begin((db) =>
    writeTasks(db, deps, team.id, week, people, (key) => {
      const message = messages.find((m) => m.messageId === idOf(key));
      if (!message) throw new Error(`the demo has no message ${key}`);
      return message;
    }),
  );
  return { teamId: team.id, messages, tasks };
}

/** Days and times around `now`, in UTC: the sandbox's people keep the default zone. */
function demoWeek(now: Date) {
  const today = DateTime.fromJSDate(now, { zone: "UTC" }).startOf("day");
  return {
    /** `days` before today at hh:mm: always before now, whatever time it is. */
    past: (days: number, hour: number, minute: number) =>
      today.minus({ days }).set({ hour, minute }).toJSDate(),
    /** A whole day (`days` from today; negative: before). */
    day: (days: number) => ({ at: today.plus({ days }).toJSDate(), hasTime: false }),
    /** A moment `days` from today. */
    at: (days: number, hour: number, minute = 0) => ({
      at: today.plus({ days }).set({ hour, minute }).toJSDate(),
      hasTime: true,
    }),
    now,
  };
}

type DemoWeek = ReturnType<typeof demoWeek>;
type DemoPeople = Record<"alice" | "bob" | "carol", SandboxPerson>;

interface ChatLine {
  key: string;
  author: SandboxPerson;
  text: string;
  date: Date;
  replyTo?: string;
}

/** The group's week, oldest first. */
function chatter(week: DemoWeek, { alice, bob, carol }: DemoPeople): ChatLine[] {
  const line = (
    key: string,
    author: SandboxPerson,
    [days, hour, minute]: [number, number, number],
    text: string,
    replyTo?: string,
  ): ChatLine => ({
    key,
    author,
    text,
    date: week.past(days, hour, minute),
    ...(replyTo ? { replyTo } : {}),
  });
  return [
    line(
      "sprint",
      alice,
      [6, 9, 5],
      "Morning all! The new sprint starts today, the plan is in the tracker.",
    ),
    line(
      "staging",
      bob,
      [6, 9, 12],
      "The staging deploy failed again last night, looking into it.",
    ),
    line("review", carol, [6, 10, 40], "Could someone review my invoice export PR today?"),
    line(
      "disk",
      bob,
      [5, 11, 20],
      "Found it: the staging disk is full of old builds. We need to clean them up.",
      "staging",
    ),
    line("report", carol, [5, 14, 3], "The client wants the quarterly report early next week."),
    line(
      "retro",
      alice,
      [4, 16, 30],
      "Retro at the end of the week: bring one thing that went well and one that didn't.",
    ),
    line(
      "safari",
      carol,
      [3, 9, 45],
      "The login page shows a blank screen on Safari 17 for some customers.",
    ),
    line("taking", bob, [3, 10, 2], "I can reproduce it, taking it.", "safari"),
    line(
      "vpn",
      alice,
      [2, 13, 15],
      "Could someone update the onboarding doc with the new VPN steps?",
    ),
    line("vpn-yes", carol, [2, 13, 20], "I'll do it, I set up the VPN last time.", "vpn"),
    line("merged", carol, [1, 15, 30], "The invoice export PR is merged 🎉"),
    line("nice", bob, [1, 15, 32], "Nice one!", "merged"),
  ];
}

/** Group messages as the ingest takes chatter: one micro-batch, claimed under demo update ids. */
async function ingest(
  deps: DemoDeps,
  team: { id: number; title: string },
  people: DemoPeople,
  messages: readonly DemoMessage[],
  nextUpdateId: () => number,
): Promise<void> {
  const last = messages.at(-1);
  if (!last) return;
  const everyone = [people.alice, people.bob, people.carol];
  const batch = messages.map((message) => {
    const author = everyone.find((person) => person.id === message.authorId);
    if (!author) throw new Error("a demo message without its author");
    return {
      updateId: nextUpdateId(),
      team,
      sender: profileOf(author),
      senderActs: true,
      mayAnswerForm: false,
      joined: [],
      left: [],
      message: {
        messageId: message.messageId,
        authorId: message.authorId,
        text: message.text,
        date: Math.floor(message.date.getTime() / 1000),
        replyToMessageId: message.replyToMessageId,
        editedAt: null,
      },
    };
  });
  // A chat another transaction holds (the bot answering someone in the group) is handed back
  // rather than waited for: those updates were not claimed, so they are offered again. An id
  // an earlier run claimed (its team since deleted) is a duplicate: offered under a new one.
  let waiting = batch;
  for (let attempt = 1; waiting.length > 0; attempt += 1) {
    const { outcomes } = await ingestChatter(deps, KNOWS_NOTHING, waiting, last.date);
    waiting = waiting.flatMap((chatter, index) => {
      if (outcomes[index] === "diverted") return [chatter];
      if (outcomes[index] === "duplicate") return [{ ...chatter, updateId: nextUpdateId() }];
      return [];
    });
    if (waiting.length > 0 && attempt === 50) throw new Error("the demo group stayed busy");
    if (waiting.length > 0) await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
  }
}

/** The ingest writes every fact: nothing is taken as already known. */
const KNOWS_NOTHING: IngestMemory = {
  standing: () => undefined,
  teamTitle: () => undefined,
  isMember: () => false,
};

interface DemoTask {
  by: SandboxPerson;
  at: Date;
  input: NewTaskInput;
  /** Made with /task as a reply to this message of the group. */
  from?: string;
  done?: { by: SandboxPerson; at: Date };
}

async function writeTasks(
  db: Db,
  deps: DemoDeps,
  teamId: number,
  week: DemoWeek,
  { alice, bob, carol }: DemoPeople,
  message: (key: string) => DemoMessage,
): Promise<{ open: number; done: number }> {
  const op = (userId: number, now: Date): TaskOperation => ({
    db,
    now,
    actor: actor(userId),
    reader: { vault: deps.vault, retention: deps.retention },
    effects: SILENT,
  });
  const inTeam = { teamId };
  const tasks: DemoTask[] = [
    {
      by: carol,
      at: week.past(6, 10, 45),
      input: {
        ...inTeam,
        title: "Review the invoice export PR",
        assigneeId: alice.id,
        due: week.day(-5),
      },
      done: { by: alice, at: week.past(5, 17, 0) },
    },
    {
      by: bob,
      at: week.past(6, 11, 0),
      input: {
        ...inTeam,
        title: "Renew the TLS certificate",
        assigneeId: bob.id,
        priority: "high",
        due: week.day(-2),
      },
      done: { by: bob, at: week.past(3, 12, 0) },
    },
    {
      by: alice,
      at: week.past(5, 11, 25),
      from: "disk",
      input: {
        ...inTeam,
        title: "Clean up old builds on staging",
        description: "Keep the last five builds; the rest can go.",
        assigneeId: bob.id,
        due: week.day(-4),
      },
      done: { by: bob, at: week.past(4, 10, 0) },
    },
    {
      by: alice,
      at: week.past(5, 14, 10),
      input: {
        ...inTeam,
        title: "Prepare the quarterly report",
        description: "Revenue, churn and the three biggest wins of the quarter.",
        assigneeId: alice.id,
        priority: "high",
        due: week.at(2, 12),
        reminders: [60, 1440],
      },
    },
    {
      by: alice,
      at: week.past(4, 16, 35),
      input: {
        ...inTeam,
        title: "Write the retro notes",
        assigneeId: carol.id,
        priority: "low",
        due: week.day(0),
      },
    },
    {
      by: bob,
      at: week.past(3, 10, 3),
      from: "safari",
      input: {
        ...inTeam,
        title: "Fix the blank login page on Safari",
        description: "Customers on Safari 17 see an empty page; Chrome and Firefox are fine.",
        assigneeId: bob.id,
        priority: "high",
        due: week.day(-1),
      },
    },
    {
      by: alice,
      at: week.past(2, 13, 22),
      from: "vpn",
      input: {
        ...inTeam,
        title: "Update the onboarding doc with the new VPN steps",
        assigneeId: carol.id,
        due: week.day(0),
      },
    },
    {
      by: bob,
      at: week.past(2, 9, 0),
      input: {
        ...inTeam,
        title: "Prepare the customer call",
        description: "Agenda, the open tickets, and who joins.",
        assigneeId: bob.id,
        due: week.at(1, 15),
        reminders: [15],
      },
    },
    {
      by: alice,
      at: week.past(1, 11, 0),
      input: {
        ...inTeam,
        title: "Order laptops for the new interns",
        description: "Two of them, 16 GB of memory.",
        priority: "low",
        due: week.day(4),
      },
    },
    {
      by: carol,
      at: week.past(1, 16, 0),
      input: { ...inTeam, title: "Plan the team lunch", assigneeId: carol.id, priority: "low" },
    },
    {
      by: alice,
      at: week.past(1, 18, 0),
      input: {
        teamId: null,
        title: "Prepare my 1:1 notes",
        assigneeId: alice.id,
        due: week.at(1, 10),
      },
    },
  ];

  let created = 0;
  let done = 0;
  for (const task of tasks) {
    const source = task.from ? sourceOf(teamId, message(task.from)) : null;
    const { id } = await createTask(op(task.by.id, task.at), { ...task.input, source });
    created += 1;
    if (!task.done) continue;
    await setTaskStatus(op(task.done.by.id, task.done.at), id, "done");
    done += 1;
  }

  // Two series whose past occurrences were done on the day: the next one is open.
  const series: Array<{ by: SandboxPerson; input: NewTaskInput }> = [
    {
      by: alice,
      input: {
        ...inTeam,
        title: "Weekly planning",
        assigneeId: alice.id,
        repeat: { rule: { every: "week", weekdays: [1] }, time: { hour: 10, minute: 0 } },
      },
    },
    {
      by: bob,
      input: {
        ...inTeam,
        title: "Daily standup",
        description: "What I did, what I will do, what blocks me.",
        repeat: { rule: { every: "weekday" }, time: { hour: 9, minute: 30 } },
      },
    },
  ];
  for (const { by, input } of series) {
    let current: TaskView = await createTask(op(by.id, week.past(7, 8, 30)), input);
    created += 1;
    // Done by now: the open one's reminder is still to come, whatever the time of day.
    while (current.dueAt && current.dueAt <= week.now) {
      const doneAt = new Date(Math.min(current.dueAt.getTime() + 45 * 60_000, week.now.getTime()));
      const { next } = await setTaskStatus(op(by.id, doneAt), current.id, "done");
      done += 1;
      if (!next) break;
      created += 1;
      current = next;
    }
  }
  return { open: created - done, done };
}

function sourceOf(teamId: number, message: DemoMessage) {
  return {
    chatId: teamId,
    messageId: message.messageId,
    date: message.date,
    authorId: message.authorId,
  };
}

function actor(userId: number): Actor {
  return { userId, isAdmin: false };
}

function teamsOp(db: Db, now: Date, userId: number): TeamsOperation {
  return { db, now, actor: actor(userId), effects: {} };
}

function profileOf(person: SandboxPerson) {
  return {
    id: person.id,
    firstName: person.firstName,
    lastName: null,
    username: person.username,
    languageCode: "en",
  };
}

async function consentsNow(deps: DemoDeps, userId: number, now: Date): Promise<boolean> {
  const op = { db: deps.sql, now, actor: actor(userId), effects: { forget: () => undefined } };
  const { state } = await consentStatus(op);
  return state.kind === "given" && state.current;
}

async function giveConsent(db: Db, deps: DemoDeps, userId: number, now: Date): Promise<void> {
  // Caches of people hear of the change from the database's own announcement (people_changed).
  const op = { db, now, actor: actor(userId), effects: { forget: () => undefined } };
  await consent(op, deps, { granted: true, source: "bot" });
}
