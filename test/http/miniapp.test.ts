import { readdirSync } from "node:fs";
import { describe, expect, inject, it } from "vitest";
import { useBotHarness } from "#test/helpers/bot";
import { buttonsOf } from "#test/helpers/buttons";
import { TEST_BOT_INFO } from "#test/helpers/fake-telegram";
import { alice, team } from "#test/helpers/updates";

const h = useBotHarness({ env: { PUBLIC_URL: "https://tasks.example.org" } });

describe("serving the Mini App", () => {
  it("serves the page at / with the strict CSP, revalidated on every open", async () => {
    const page = await h.bot.app.http.request("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("cache-control")).toBe("no-cache");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'self' https://web.telegram.org");
    const html = await page.text();
    // Nothing inline that the CSP would have to allow.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|style=/);
  });

  it("serves hashed assets for a year", async () => {
    const [asset] = readdirSync(`${inject("miniAppDist")}/assets`).filter((name) =>
      name.endsWith(".js"),
    );
    const response = await h.bot.app.http.request(`/assets/${asset}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect((await h.bot.app.http.request("/assets/nope.js")).status).toBe(404);
  });

  it("tells the page which bot to link to", async () => {
    const response = await h.bot.app.http.request("/bot.json");
    expect(await response.json()).toEqual({ username: TEST_BOT_INFO.username });
  });
});

describe("opening the app from the bot", () => {
  it("puts Open app under /tasks: the app itself in private, a team link in a group", async () => {
    await h.bot.send(h.updates.privateText(alice, "/tasks"));
    const privately = buttonsOf(h.telegram.lastMessageTo(alice.id));
    expect(privately.at(-1)).toEqual({ text: "Open app", data: "" });
    const markup = h.telegram.lastMessageTo(alice.id).reply_markup as {
      inline_keyboard: Array<Array<{ text: string; web_app?: { url: string } }>>;
    };
    expect(markup.inline_keyboard.at(-1)?.[0]?.web_app).toEqual({
      url: "https://tasks.example.org/",
    });

    await h.bot.send(h.updates.groupText(team, alice, "/tasks"));
    expect(buttonsOf(h.telegram.lastMessageTo(team.id)).at(-1)).toEqual({
      text: "Open app",
      data: `https://t.me/${TEST_BOT_INFO.username}?startapp=team_${team.id}`,
    });
  });
});
