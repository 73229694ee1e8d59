import { describe, expect, it } from "vitest";
import { useBotHarness } from "#test/helpers/bot";
import { buttonsOf, pressOn } from "#test/helpers/buttons";
import { chatWith } from "#test/helpers/chat";
import { lastExport } from "#test/helpers/exports";
import { TEST_BOT_INFO } from "#test/helpers/fake-telegram";
import { storedTaskFields } from "#test/helpers/tasks";
import { alice, bob, team } from "#test/helpers/updates";

const h = useBotHarness();

const { press, toast } = chatWith(h);

/** Alice: consented, two stored messages, a team task she made for Bob, one Bob made for her, a private task. */
async function aliceWithData() {
  await h.bot.send(h.updates.privateText(alice, "/consent"));
  await press(alice, "Record my messages");
  await h.bot.send(h.updates.groupText(team, bob, "hi from Bob"));
  await h.bot.send(h.updates.groupText(team, alice, "first words"));
  await h.bot.send(h.updates.groupText(team, alice, "second words"));
  await h.bot.send(h.updates.groupText(team, alice, "/newtask Fix the login page @bobby"));
  await h.bot.send(h.updates.groupText(team, bob, "/newtask Review the budget @alice"));
  await h.bot.send(h.updates.privateText(alice, "/newtask Buy a present"));
  h.telegram.clear();
}

async function counts() {
  const [row] = await h.sql<Record<string, number>[]>`
    select
      (select count(*)::int from users where id = ${alice.id}) as users,
      (select count(*)::int from messages where author_id = ${alice.id}) as messages,
      (select count(*)::int from messages) as all_messages,
      (select count(*)::int from consents where user_id = ${alice.id}) as consents,
      (select count(*)::int from team_members where user_id = ${alice.id}) as memberships,
      (select count(*)::int from tasks) as tasks,
      (select count(*)::int from tasks where creator_id = ${alice.id} or assignee_id = ${alice.id}) as linked_tasks`;
  return row;
}

describe("/delete", () => {
  it("says what goes and what stays, with buttons only for this user", async () => {
    await aliceWithData();
    await h.bot.send(h.updates.privateText(alice, "/delete"));

    const offer = h.telegram.lastMessageTo(alice.id);
    expect(offer.text).toContain("Delete your data?");
    expect(offer.text).toContain("2 stored messages of yours");
    expect(offer.text).toContain("1 private task you created");
    expect(offer.text).toContain("your membership in 1 group");
    expect(offer.text).toContain("Kept: 2 team tasks you created or were assigned stay");
    expect(offer.text).toContain("The button works for 5 minutes");
    expect(buttonsOf(offer).map((b) => b.text)).toEqual(["🗑 Delete everything", "Cancel"]);
  });

  it("erases everything about the user at once and reports the counts", async () => {
    await aliceWithData();
    await h.bot.send(h.updates.privateText(alice, "/delete"));
    await press(alice, "Delete everything");

    expect(await counts()).toEqual({
      users: 0,
      messages: 0,
      allMessages: 0,
      consents: 0,
      memberships: 0,
      tasks: 2,
      linkedTasks: 0,
    });
    const teamTasks = await storedTaskFields(h.sql, ["title", "creatorId", "assigneeId"]);
    expect(teamTasks).toEqual([
      { title: "Fix the login page", creatorId: null, assigneeId: bob.id },
      { title: "Review the budget", creatorId: bob.id, assigneeId: null },
    ]);
    const done = h.telegram.lastMessageTo(alice.id).text ?? "";
    expect(done).toContain("Done. Your data is deleted:");
    expect(done).toContain("• 2 stored messages");
    expect(done).toContain("• 1 private task");
    expect(done).toContain("• 1 group membership");
    expect(done).toContain("• 1 consent record and your profile");
    expect(done).toContain("2 team tasks no longer name you.");
  });

  it("keeps only one audit record of the erasure: a keyed hash, the time and the counts", async () => {
    await aliceWithData();
    await h.bot.send(h.updates.privateText(alice, "/export"));
    await h.bot.send(h.updates.privateText(alice, "/delete"));
    await press(alice, "Delete everything");

    const rows = await h.sql`select at, action, actor, target, counts from audit_log`;
    expect(rows).toEqual([
      {
        at: h.bot.clock.now(),
        action: "erasure.done",
        actor: expect.stringMatching(/^[\w-]{16}$/),
        target: rows[0]?.actor,
        counts: {
          messages: 2,
          consents: 1,
          private_tasks: 1,
          team_tasks_unlinked: 2,
          tasks_from_messages_unlinked: 0,
          memberships: 1,
          form_states: 0,
        },
      },
    ]);
    expect(JSON.stringify(rows)).not.toContain(String(alice.id));
  });

  it("stops the person's own daily digest: no “Your day” after erasure", async () => {
    await aliceWithData();
    await h.bot.send(h.updates.privateText(alice, "/digest me 08:30"));
    await h.bot.send(h.updates.privateText(alice, "/delete"));
    await press(alice, "Delete everything");
    h.telegram.clear();

    h.bot.clock.advance(24 * 60 * 60_000);
    expect(await h.bot.app.deliverDigests()).toBe(0);
    expect(h.telegram.textsTo(alice.id)).toEqual([]);
    expect(await h.sql`select kind from digests where chat_id = ${alice.id}`).toEqual([]);
  });

  it("team cards show a deleted user where the person was assigned", async () => {
    await aliceWithData();
    await h.bot.send(h.updates.privateText(alice, "/delete"));
    await press(alice, "Delete everything");
    await h.bot.send(h.updates.groupText(team, bob, "/tasks"));
    const list = h.telegram.lastMessageTo(team.id).text ?? "";
    expect(list).toMatch(/Review the budget<\/b> · deleted user · normal/);
    expect(list).toMatch(/Fix the login page<\/b> · @bobby · normal/);
    expect(list).not.toContain("@alice");
  });

  it("after erasure the user is a stranger: consent is asked again and an export is bare", async () => {
    await aliceWithData();
    await h.bot.send(h.updates.privateText(alice, "/delete"));
    await press(alice, "Delete everything");
    h.telegram.clear();

    await h.bot.send(h.updates.privateText(alice, "/start"));
    expect(h.telegram.lastMessageTo(alice.id).text).toContain("You have not decided yet");
    await h.bot.send(h.updates.groupText(team, alice, "not recorded"));
    expect((await counts())?.messages).toBe(0);

    await h.bot.send(h.updates.privateText(alice, "/export"));
    expect(lastExport(h.telegram)).toMatchObject({
      user: { id: alice.id, first_name: "Alice" },
      consents: [],
      teams: [{ id: team.id }],
      tasks_created: [],
      tasks_assigned: [],
      messages: [],
    });
  });

  it("a second press of the same confirmation changes nothing more", async () => {
    await aliceWithData();
    await h.bot.send(h.updates.privateText(alice, "/delete"));
    const confirm = pressOn(h.telegram, h.updates, alice, alice.id, "Delete everything");
    await h.bot.send(confirm);
    await h.bot.send({ ...confirm, update_id: confirm.update_id + 1000 });

    expect(toast()).toMatchObject({
      text: "This confirmation was already used. Send /delete to start again.",
      show_alert: true,
    });
    const audit = await h.sql`select action from audit_log`;
    expect(audit).toEqual([{ action: "erasure.done" }]);
  });

  it("refuses a confirmation pressed after 5 minutes and deletes nothing", async () => {
    await aliceWithData();
    await h.bot.send(h.updates.privateText(alice, "/delete"));
    h.bot.clock.advance(5 * 60_000 + 1000);
    await press(alice, "Delete everything");

    expect(toast()).toMatchObject({
      text: "This confirmation has expired (it is valid for 5 minutes). Send /delete again.",
    });
    expect(await counts()).toMatchObject({ users: 1, messages: 2, consents: 1, tasks: 3 });
  });

  it("refuses a confirmation pressed by someone else and deletes nothing", async () => {
    await aliceWithData();
    await h.bot.send(h.updates.privateText(alice, "/delete"));
    await press(bob, "Delete everything", alice.id);

    expect(toast()).toMatchObject({ text: "This button is not for you.", show_alert: true });
    expect(await counts()).toMatchObject({ users: 1, messages: 2 });
    await press(alice, "Delete everything");
    expect(await counts()).toMatchObject({ users: 0, messages: 0 });
  });

  it("cancel deletes nothing and uses up the button", async () => {
    await aliceWithData();
    await h.bot.send(h.updates.privateText(alice, "/delete"));
    const confirm = pressOn(h.telegram, h.updates, alice, alice.id, "Delete everything");
    await press(alice, "Cancel");
    expect(h.telegram.lastMessageTo(alice.id).text).toBe("Nothing was deleted.");
    await h.bot.send(confirm);
    expect(await counts()).toMatchObject({ users: 1, messages: 2, consents: 1 });
  });

  it("in a group points to the private chat and deletes nothing", async () => {
    await aliceWithData();
    await h.bot.send(h.updates.groupText(team, alice, "/delete"));
    expect(h.telegram.textsTo(team.id)).toEqual([
      "That is between you and me: let's continue in our private chat.",
    ]);
    expect(buttonsOf(h.telegram.lastMessageTo(team.id))[0]?.data).toBe(
      `https://t.me/${TEST_BOT_INFO.username}?start=delete`,
    );
    expect(await counts()).toMatchObject({ users: 1, messages: 2 });
  });

  it("a crash halfway leaves everything in place", async () => {
    await aliceWithData();
    await h.bot.send(h.updates.privateText(alice, "/delete"));
    // The database fails the last step, after messages, consents and memberships went.
    await h.sql`
      create function fail_user_delete() returns trigger language plpgsql as
      $$ begin raise exception 'disk full'; end $$`;
    await h.sql`
      create trigger fail_user_delete before delete on users
      for each row execute function fail_user_delete()`;
    try {
      await press(alice, "Delete everything");
    } finally {
      await h.sql`drop trigger fail_user_delete on users`;
      await h.sql`drop function fail_user_delete()`;
    }

    expect(toast()).toMatchObject({
      text: "Sorry, something went wrong on my side. Please try again.",
    });
    expect(await counts()).toEqual({
      users: 1,
      messages: 2,
      allMessages: 2,
      consents: 1,
      memberships: 1,
      tasks: 3,
      linkedTasks: 3,
    });
    const audit = await h.sql`select action from audit_log where action = 'erasure.done'`;
    expect(audit).toEqual([]);
  });
});
