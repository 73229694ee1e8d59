import { describe, expect, it } from "vitest";
import { createIdHasher } from "#bot/lib/logger";
import { useBotHarness } from "#test/helpers/bot";
import { pressOn } from "#test/helpers/buttons";
import { TEST_SECRETS } from "#test/helpers/secrets";
import type { TestUser } from "#test/helpers/updates";

const h = useBotHarness();

// Distinctive values, so a match in the logs cannot be a coincidence.
const zelda: TestUser = {
  id: 736_251_948,
  first_name: "Zeldaleine",
  last_name: "Quixotova",
  username: "zelda_quix",
  language_code: "en",
};
const yorick: TestUser = { id: 845_120_377, first_name: "Yorickson", username: "yorick_skull" };
const crew = { id: -1_005_550_001_234, title: "Lighthouse crew", type: "supergroup" as const };

const SECRETS_OF_THE_SESSION = [
  "Zeldaleine",
  "Quixotova",
  "zelda_quix",
  "Yorickson",
  "yorick_skull",
  "736251948",
  "845120377",
  "pineapple-protocol",
  "Calibrate the flux capacitor",
  "Polish the brass lantern",
  "Bring mandolin strings",
  "grandmother's birthday",
];

describe("logs", () => {
  it("hold no names, usernames, plain user ids, message text or task text over a whole session", async () => {
    const { send } = h.bot;
    const u = h.updates;
    const press = (user: TestUser, label: string) =>
      send(pressOn(h.telegram, u, user, user.id, label));

    await send(u.privateText(zelda, "/start"));
    await press(zelda, "Record my messages");
    await send(u.privateText(yorick, "/start"));
    await send(u.groupText(crew, yorick, "hello crew"));
    await send(u.groupText(crew, zelda, "The pineapple-protocol starts at dawn"));
    const original = u.groupText(crew, zelda, "Bring mandolin strings");
    await send(original);
    await send(
      u.editedGroupText(
        crew,
        zelda,
        u.lastMessage(original).message_id,
        "Bring mandolin strings, two sets",
      ),
    );
    await send(
      u.groupText(crew, zelda, "/newtask Calibrate the flux capacitor @yorick_skull tomorrow"),
    );
    // Yorick has blocked the bot: the notification fails and is logged.
    h.telegram.blockChat(yorick.id);
    await send(u.groupText(crew, zelda, "/newtask Polish the brass lantern @yorick_skull"));
    await send(u.privateText(zelda, "/newtask"));
    await send(u.privateText(zelda, "Remember grandmother's birthday"));
    await send(u.privateText(zelda, "/cancel"));
    // A database failure whose message quotes the task title.
    await h.sql`
      create function reject_task() returns trigger language plpgsql as
      $$ begin raise exception 'rejected task %', new.title; end $$`;
    await h.sql`create trigger reject_task before insert on tasks for each row execute function reject_task()`;
    try {
      await send(u.privateText(zelda, "/newtask Remember grandmother's birthday"));
    } finally {
      await h.sql`drop trigger reject_task on tasks`;
      await h.sql`drop function reject_task()`;
    }
    await send(u.groupText(crew, zelda, "/tasks"));
    await send(u.privateText(zelda, "/export"));
    await send(u.privateText(zelda, "/delete"));
    await press(zelda, "Delete everything");

    const logs = h.bot.logs.raw();
    const lines = h.bot.logs.lines();
    // The session did log: the failure, the blocked recipient, and who by keyed hash.
    expect(lines.some((line) => line.msg === "update handler failed")).toBe(true);
    const hashId = createIdHasher(TEST_SECRETS.hashSecret);
    expect(logs).toContain(hashId(yorick.id));
    for (const secret of SECRETS_OF_THE_SESSION) expect(logs).not.toContain(secret);
  });
});
