import { readdirSync, readFileSync } from "node:fs";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
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

  it("sends hashed assets compressed, brotli where accepted, else gzip, else as they are", async () => {
    const dist = `${inject("miniAppDist")}/assets`;
    const [script] = readdirSync(dist).filter(
      (name) => name.startsWith("index-") && name.endsWith(".js"),
    );
    const file = readFileSync(`${dist}/${script}`);
    const get = (acceptEncoding: string) =>
      h.bot.app.http.request(`/assets/${script}`, {
        headers: { "accept-encoding": acceptEncoding },
      });

    const br = await get("gzip, deflate, br, zstd");
    expect(br.headers.get("content-encoding")).toBe("br");
    expect(br.headers.get("vary")).toBe("Accept-Encoding");
    expect(br.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(br.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const brBody = Buffer.from(await br.arrayBuffer());
    expect(Number(br.headers.get("content-length"))).toBe(brBody.length);
    expect(brBody.length).toBeLessThan(file.length / 2);
    expect(brotliDecompressSync(brBody).equals(file)).toBe(true);

    const gz = await get("gzip, br;q=0");
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).equals(file)).toBe(true);

    const plain = await get("identity");
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(Buffer.from(await plain.arrayBuffer()).equals(file)).toBe(true);

    const [stylesheet] = readdirSync(dist).filter((name) => name.endsWith(".css"));
    const css = await h.bot.app.http.request(`/assets/${stylesheet}`, {
      headers: { "accept-encoding": "br" },
    });
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(css.headers.get("content-encoding")).toBe("br");
    expect((await h.bot.app.http.request("/assets/nope.css")).status).toBe(404);
    expect((await h.bot.app.http.request("/assets/..%2Findex.html")).status).toBe(404);
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
