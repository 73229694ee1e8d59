import { describe, expect, it } from "vitest";
import { NOT_ABOUT_PEOPLE, PERSONAL_DATA } from "#bot/privacy/personal-data";
import { giveConsent, useBotHarness } from "#test/helpers/bot";
import { lastExport } from "#test/helpers/exports";
import { alice, bob, team } from "#test/helpers/updates";

const h = useBotHarness();

/** A column name that speaks of a person (or a private chat, whose id is the person's). */
const NAMES_A_PERSON =
  /(^|_)(user|users|author|actor|creator|assignee|owner|person|people|member|admin|chat|target)(_|$)/;

async function schema() {
  const columns = await h.sql<{ tableName: string; columnName: string }[]>`
    select c.table_name, c.column_name
    from information_schema.columns c
    join information_schema.tables t
      on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
    order by c.table_name, c.ordinal_position`;
  const foreignKeys = await h.sql<{ tableName: string; columnName: string; refTable: string }[]>`
    select k.table_name, k.column_name, r.table_name as ref_table
    from information_schema.table_constraints c
    join information_schema.key_column_usage k
      on k.constraint_schema = c.constraint_schema and k.constraint_name = c.constraint_name
    join information_schema.constraint_column_usage r
      on r.constraint_schema = c.constraint_schema and r.constraint_name = c.constraint_name
    where c.constraint_type = 'FOREIGN KEY' and c.table_schema = 'public'`;
  const tables = new Map<string, string[]>();
  for (const { tableName, columnName } of columns) {
    tables.set(tableName, [...(tables.get(tableName) ?? []), columnName]);
  }
  // Rows that hang off a person's rows are the person's too (a task's reminders).
  const personal = new Set(["users"]);
  for (let grown = true; grown; ) {
    grown = false;
    for (const fk of foreignKeys) {
      if (personal.has(fk.refTable) && !personal.has(fk.tableName)) {
        personal.add(fk.tableName);
        grown = true;
      }
    }
  }
  return { tables, foreignKeys, personal };
}

/** The objects a path like `tasks_created[].reminders[].state` reaches, and whether one has the field. */
function reaches(document: unknown, path: string): boolean {
  const steps = path.split(".");
  const last = steps.pop() ?? "";
  let here: unknown[] = [document];
  for (const step of steps) {
    const many = step.endsWith("[]");
    const key = many ? step.slice(0, -2) : step;
    here = here.flatMap((value) => {
      if (typeof value !== "object" || value === null) return [];
      const next = (value as Record<string, unknown>)[key];
      return many ? (Array.isArray(next) ? next : []) : [next];
    });
  }
  const field = last.endsWith("[]") ? last.slice(0, -2) : last;
  return here.some((value) => typeof value === "object" && value !== null && field in value);
}

describe("the export covers everything stored about a person", () => {
  it("every table is listed as about people or, with a reason, as not", async () => {
    const { tables } = await schema();
    const unlisted = [...tables.keys()].filter(
      (table) => !(table in PERSONAL_DATA) && !(table in NOT_ABOUT_PEOPLE),
    );
    expect(unlisted).toEqual([]);
    const gone = [...Object.keys(PERSONAL_DATA), ...Object.keys(NOT_ABOUT_PEOPLE)].filter(
      (table) => !tables.has(table),
    );
    expect(gone).toEqual([]);
  });

  it("no table that refers to a person is listed as not about people", async () => {
    const { tables, personal, foreignKeys } = await schema();
    const wrong = Object.keys(NOT_ABOUT_PEOPLE).flatMap((table) => [
      ...(personal.has(table) ? [`${table}: a foreign key leads to users`] : []),
      ...(tables.get(table) ?? [])
        .filter((column) => NAMES_A_PERSON.test(column))
        .map((column) => `${table}.${column}: names a person`),
    ]);
    expect(wrong).toEqual([]);
    // And each foreign key to users is named as what makes a row someone's.
    const unnamed = foreignKeys
      .filter((fk) => fk.refTable === "users")
      .filter((fk) => !PERSONAL_DATA[fk.tableName]?.belongsBy.includes(fk.columnName))
      .map((fk) => `${fk.tableName}.${fk.columnName}`);
    expect(unnamed).toEqual([]);
  });

  it("every column of those tables is exported or says why not", async () => {
    const { tables } = await schema();
    const unlisted: string[] = [];
    const gone: string[] = [];
    for (const [table, { columns }] of Object.entries(PERSONAL_DATA)) {
      const actual = tables.get(table) ?? [];
      unlisted.push(...actual.filter((c) => !(c in columns)).map((c) => `${table}.${c}`));
      gone.push(
        ...Object.keys(columns)
          .filter((c) => !actual.includes(c))
          .map((c) => `${table}.${c}`),
      );
    }
    expect(unlisted).toEqual([]);
    expect(gone).toEqual([]);
  });

  it("every column said to be exported is in a real export of someone with data everywhere", async () => {
    await h.bot.send(h.updates.groupText(team, bob, "hi"));
    await giveConsent(h, alice);
    await h.bot.send(h.updates.privateText(alice, "/timezone Europe/Kyiv"));
    await h.bot.send(h.updates.privateText(alice, "/quiet 22:00-07:00"));
    await h.bot.send(h.updates.privateText(alice, "/digest me 08:30"));
    await h.bot.send(h.updates.groupText(team, alice, "Words worth keeping"));
    await h.bot.send(
      h.updates.groupText(team, alice, "/newtask Call the bank @bobby tomorrow 10:00"),
    );
    await h.bot.send(h.updates.groupText(team, bob, "/newtask Review the budget @alice tomorrow"));
    await h.bot.send(h.updates.privateText(alice, "/newtask Water the plants every monday"));
    await h.bot.send(h.updates.privateText(alice, "/delete"));
    await h.bot.send(h.updates.groupText(team, alice, "/newtask"));

    await h.bot.send(h.updates.privateText(alice, "/export"));
    const document = lastExport(h.telegram);

    const missing = Object.entries(PERSONAL_DATA).flatMap(([table, { columns }]) =>
      Object.entries(columns)
        .filter(([, coverage]) => "exported" in coverage && !reaches(document, coverage.exported))
        .map(
          ([column, coverage]) =>
            `${table}.${column} → ${"exported" in coverage ? coverage.exported : ""}`,
        ),
    );
    expect(missing).toEqual([]);
  });
});
