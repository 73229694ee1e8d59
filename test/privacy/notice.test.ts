import { describe, expect, it } from "vitest";
import { PRIVACY_POLICY_VERSION } from "#bot/privacy/policy";
import { useBotHarness } from "#test/helpers/bot";
import { pressOn } from "#test/helpers/buttons";
import { alice, bob, team } from "#test/helpers/updates";

const ADMIN = alice;
const h = useBotHarness({ env: { ADMIN_IDS: String(ADMIN.id) } });

describe("/privacy", () => {
  it("explains what is kept, why, for how long, who sees it and the rights, with the version", async () => {
    await h.bot.send(h.updates.privateText(bob, "/privacy"));
    const notice = h.telegram.lastMessageTo(bob.id);
    const text = notice.text ?? "";
    expect(text).toContain(`version ${PRIVACY_POLICY_VERSION}`);
    expect(text).toContain("What I keep, and why");
    expect(text).toContain("What I do not keep");
    expect(text).toContain("deleted 90 days after they were sent");
    expect(text).toContain("Who can see it");
    for (const command of ["/consent", "/export", "/delete"]) expect(text).toContain(command);
    expect(text.length).toBeLessThan(4096);
  });

  it("says what happens to a task made from someone's message, as the code does it", async () => {
    await h.bot.send(h.updates.privateText(bob, "/privacy"));
    const text = h.telegram.lastMessageTo(bob.id).text ?? "";
    // test/tasks/sealed-texts.test.ts holds the code to each of these.
    expect(text).toContain("Task titles and descriptions are stored encrypted");
    expect(text).toContain(
      "Tasks a teammate makes from one of your group messages (/task in reply, or “From a message” in the app), whether or not you agreed to recording",
    );
    expect(text).toContain("/export lists those tasks");
    expect(text).toContain(
      "/delete: erase your data. Team tasks stay with the team, without your name; tasks made from your messages stay with the team too, with the words they copied, but no longer linked to you or to your message.",
    );
  });

  it("says what the Mini App keeps on the device, as the app does it", async () => {
    await h.bot.send(h.updates.privateText(bob, "/privacy"));
    const text = h.telegram.lastMessageTo(bob.id).text ?? "";
    // test/miniapp/first-screen.test.tsx and test/e2e/miniapp.test.ts hold the code to it.
    expect(text).toContain("On your device only, the app keeps the last task list it showed you");
    expect(text).toContain(
      "removed when you delete your data in the app or your session is refused, and never put in Telegram's cloud storage",
    );
  });

  it("is answered in a group too: it holds nothing personal", async () => {
    await h.bot.send(h.updates.groupText(team, bob, "/privacy"));
    expect(h.telegram.textsTo(team.id)[0]).toContain("What I keep, and why");
  });
});

describe("GET /privacy", () => {
  it("serves the same notice as a page without scripts or inline styles", async () => {
    const response = await h.bot.app.http.request("/privacy");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const page = await response.text();
    expect(page).toContain("<h1>Task Tracker privacy notice</h1>");
    expect(page).toContain(`<p>Version ${PRIVACY_POLICY_VERSION}</p>`);
    expect(page).toContain("<h2>How long</h2>");
    expect(page).toContain("deleted 90 days after they were sent");
    expect(page).toContain("<li>/export: a copy of everything about you, as a JSON file.</li>");
    expect(page).not.toMatch(/<script|style=/);
  });
});

describe("/audit", () => {
  it("shows admins the latest entries, people only as keyed hashes", async () => {
    await h.bot.send(h.updates.privateText(bob, "/consent"));
    await h.bot.send(pressOn(h.telegram, h.updates, bob, bob.id, "Record my messages"));
    await h.bot.send(h.updates.privateText(bob, "/export"));

    await h.bot.send(h.updates.privateText(ADMIN, "/audit"));
    const text = h.telegram.lastMessageTo(ADMIN.id).text ?? "";
    const lines = text.split("\n").slice(2);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^28 Nov 2026, 10:00 · <b>export\.made<\/b> · by [\w-]{16} · messages=0$/,
    );
    expect(lines[1]).toMatch(
      new RegExp(
        `^28 Nov 2026, 10:00 · <b>consent\\.given</b> · by [\\w-]{16} · policy_version=${PRIVACY_POLICY_VERSION}$`,
      ),
    );
    expect(text).not.toContain(String(bob.id));
    expect(text).not.toContain("Bob");
  });

  it("shows at most the latest 20", async () => {
    await h.bot.send(h.updates.privateText(bob, "/consent"));
    for (let i = 0; i < 11; i++) {
      await h.bot.send(pressOn(h.telegram, h.updates, bob, bob.id, "Record my messages"));
      await h.bot.send(pressOn(h.telegram, h.updates, bob, bob.id, "Withdraw consent"));
    }
    await h.bot.send(h.updates.privateText(ADMIN, "/audit"));
    const text = h.telegram.lastMessageTo(ADMIN.id).text ?? "";
    expect(text).toContain("the latest 20, newest first");
    expect(text.split("\n").slice(2)).toHaveLength(20);
  });

  it("tells everyone else it is for admins only", async () => {
    await h.bot.send(h.updates.privateText(bob, "/audit"));
    expect(h.telegram.lastMessageTo(bob.id).text).toBe("Admins only.");
  });

  it("is not shown in a group, even to an admin", async () => {
    await h.bot.send(h.updates.groupText(team, ADMIN, "/audit"));
    expect(h.telegram.textsTo(team.id)).toEqual(["Ask me for /audit in our private chat."]);
  });
});
