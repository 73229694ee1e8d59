// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { afterEach, describe, expect, it } from "vitest";
import { App } from "../../miniapp/src/app.tsx";
import { deviceCache } from "../../miniapp/src/device-cache.ts";
import { openSession } from "../../miniapp/src/opening.ts";
import { Privacy } from "../../miniapp/src/screens/Privacy.tsx";
import { fakeFetch, fakePlatform, held, ME, renderScreen, task } from "./harness.tsx";

afterEach(() => {
  cleanup();
  localStorage.clear();
});

const ME_ROUTE = "GET /api/me";
const ASSIGNED = "GET /api/tasks?status=open&assignee=me&limit=50";
const STALE = "Your list from last time — updating…";

/** Init data as Telegram hands it over, for the user `id`. */
const initDataOf = (id: number) =>
  `user=${encodeURIComponent(JSON.stringify({ id, first_name: "A" }))}&hash=x`;

const keptTitles = (userId: number) =>
  deviceCache(localStorage, userId)
    ?.read("assigned")
    ?.map((kept) => kept.title) ?? null;

/** Opens the app as the entry module does: requests first, then the render. */
function launch(userId: number, net: ReturnType<typeof fakeFetch>) {
  const fake = fakePlatform({ initDataRaw: initDataOf(userId) });
  const { api, opening } = openSession(fake.platform, net.fetch, localStorage);
  render(<App api={api} platform={fake.platform} botUsername={null} opening={opening} />);
  return fake;
}

describe("the first screen", () => {
  it("asks for the opening list before /api/me has answered, and only once", async () => {
    const me = held({ json: ME });
    const net = fakeFetch({
      [ME_ROUTE]: me.route,
      [ASSIGNED]: { json: { tasks: [task({ id: 1, title: "Ship it" })], nextCursor: null } },
    });
    const fake = fakePlatform({ initDataRaw: initDataOf(ME.user.id) });

    const { api, opening } = openSession(fake.platform, net.fetch, localStorage);
    // Both left before anything rendered, /api/me still unanswered.
    expect(net.sent.map((sent) => sent.path)).toEqual([
      "/api/me",
      "/api/tasks?status=open&assignee=me&limit=50",
    ]);

    render(<App api={api} platform={fake.platform} botUsername={null} opening={opening} />);
    expect(screen.getByRole("status", { name: "Loading" })).toBeTruthy();
    await act(() => me.release());
    expect(await screen.findByRole("button", { name: /Ship it/ })).toBeTruthy();
    expect(net.sent.map((sent) => sent.path)).toEqual([
      "/api/me",
      "/api/tasks?status=open&assignee=me&limit=50",
    ]);
  });

  it("shows the list kept from last time at once, marked, then the fresh one in its place", async () => {
    deviceCache(localStorage, ME.user.id)?.write("assigned", [
      task({ id: 1, title: "Old errand", assigneeId: ME.user.id }),
    ]);
    const me = held({ json: ME });
    const list = held({
      json: { tasks: [task({ id: 2, title: "Fresh errand" })], nextCursor: null },
    });
    const net = fakeFetch({ [ME_ROUTE]: me.route, [ASSIGNED]: list.route });

    launch(ME.user.id, net);
    const kept = screen.getByRole("button", { name: /Old errand/ });
    expect(kept.textContent).toContain("Me");
    expect(screen.getByText(STALE)).toBeTruthy();

    // Knowing the person does not make the old rows fresh.
    await act(() => me.release());
    await waitFor(() =>
      expect(screen.getByRole("tab", { name: "Assigned to me" }).hasAttribute("disabled")).toBe(
        false,
      ),
    );
    expect(screen.getByRole("button", { name: /Old errand/ })).toBeTruthy();
    expect(screen.getByText(STALE)).toBeTruthy();

    await act(() => list.release());
    expect(await screen.findByRole("button", { name: /Fresh errand/ })).toBeTruthy();
    expect(screen.queryByRole("button", { name: /Old errand/ })).toBeNull();
    expect(screen.queryByText(STALE)).toBeNull();
    expect(keptTitles(ME.user.id)).toEqual(["Fresh errand"]);
  });

  it("shows the kept rows under the list's own tabs and toolbar, inert until the person is known", async () => {
    deviceCache(localStorage, ME.user.id)?.write("assigned", [
      task({ id: 1, title: "Old errand", assigneeId: ME.user.id }),
    ]);
    const me = held({ json: ME });
    const list = held({ json: { tasks: [], nextCursor: null } });
    launch(ME.user.id, fakeFetch({ [ME_ROUTE]: me.route, [ASSIGNED]: list.route }));

    // What stands above the rows now is what will stand there: nothing arrives over them.
    const above = () => {
      const shown = Array.from(
        screen.getByRole("region", { name: "Tasks" }).children,
        (child) => `${child.tagName}.${child.className}`,
      );
      return shown.slice(0, shown.indexOf("UL.list") + 1);
    };
    const before = above();
    expect(before).toEqual(["DIV.segmented", "DIV.toolbar", "P.stale", "UL.list"]);
    const tab = screen.getByRole("tab", { name: "Assigned to me" });
    expect(tab.getAttribute("aria-selected")).toBe("true");
    expect(tab.hasAttribute("disabled")).toBe(true);
    expect(screen.getByRole("button", { name: "Refresh" }).hasAttribute("disabled")).toBe(true);

    await act(() => me.release());
    await waitFor(() =>
      expect(screen.getByRole("tab", { name: "Assigned to me" }).hasAttribute("disabled")).toBe(
        false,
      ),
    );
    expect(above()).toEqual(before);
    expect(screen.getByRole("button", { name: /Old errand/ })).toBeTruthy();
  });

  it("keeps each account's list apart on one device", async () => {
    deviceCache(localStorage, 2002)?.write("assigned", [task({ id: 7, title: "Bob's secret" })]);
    const net = fakeFetch({
      [ME_ROUTE]: { json: ME },
      [ASSIGNED]: { json: { tasks: [task({ id: 1, title: "Alice's own" })], nextCursor: null } },
    });

    launch(ME.user.id, net);
    expect(screen.queryByText(/Bob's secret/)).toBeNull();
    expect(screen.getByRole("status", { name: "Loading" })).toBeTruthy();
    await screen.findByRole("button", { name: /Alice's own/ });
    expect(screen.queryByText(/Bob's secret/)).toBeNull();
    expect(keptTitles(ME.user.id)).toEqual(["Alice's own"]);
    expect(keptTitles(2002)).toEqual(["Bob's secret"]);
  });

  it("forgets every kept list when the API refuses the session", async () => {
    deviceCache(localStorage, ME.user.id)?.write("assigned", [task({ id: 1, title: "Mine" })]);
    deviceCache(localStorage, 2002)?.write("assigned", [task({ id: 7, title: "Bob's" })]);
    const refused = {
      status: 401,
      json: { error: { code: "unauthorized", message: "The init data has expired." } },
    };
    const net = fakeFetch({ [ME_ROUTE]: refused, [ASSIGNED]: refused });

    launch(ME.user.id, net);
    expect(screen.getByRole("button", { name: /Mine/ })).toBeTruthy();
    expect(await screen.findByText("Session expired — reopen the app")).toBeTruthy();
    expect(screen.queryByRole("button", { name: /Mine/ })).toBeNull();
    expect(keptTitles(ME.user.id)).toBeNull();
    expect(keptTitles(2002)).toBeNull();
    expect(localStorage.length).toBe(0);
  });

  it("forgets the kept list when a refresh is refused, and takes its rows off the screen", async () => {
    let calls = 0;
    const net = fakeFetch({
      [ME_ROUTE]: { json: ME },
      [ASSIGNED]: () =>
        ++calls === 1
          ? { json: { tasks: [task({ id: 1, title: "Mine" })], nextCursor: null } }
          : { status: 401, json: { error: { code: "unauthorized", message: "x" } } },
    });

    launch(ME.user.id, net);
    await screen.findByRole("button", { name: /Mine/ });
    expect(keptTitles(ME.user.id)).toEqual(["Mine"]);
    fireEvent.click(screen.getByRole("button", { name: "Refresh" }));
    expect(await screen.findByText("Session expired — reopen the app")).toBeTruthy();
    expect(screen.queryByRole("button", { name: /Mine/ })).toBeNull();
    expect(keptTitles(ME.user.id)).toBeNull();
  });

  it("forgets the kept list when the person erases their data", async () => {
    const cache = deviceCache(localStorage, ME.user.id);
    cache?.write("assigned", [task({ id: 1, title: "Mine" })]);
    cache?.write("team:-100123", [task({ id: 2, title: "Ours", teamId: -100123 })]);
    const net = fakeFetch({ "DELETE /api/me": { json: { deleted: { messages: 0 } } } });
    renderScreen(<Privacy botUsername={null} />, {
      fetch: net.fetch,
      platform: fakePlatform().platform,
      cache,
    });

    fireEvent.input(screen.getByLabelText(/Type DELETE to confirm/), {
      target: { value: "DELETE" },
    });
    fireEvent.click(screen.getByRole("button", { name: "Delete everything" }));
    await screen.findByText("Your data is deleted.");
    await waitFor(() => expect(localStorage.length).toBe(0));
  });

  it("opens a team's link on the team's list, asked for early and kept for next time", async () => {
    const teamList = "GET /api/tasks?teamId=-100123&status=open&limit=50";
    const net = fakeFetch({
      [ME_ROUTE]: { json: ME },
      [teamList]: {
        json: { tasks: [task({ id: 5, title: "Team work", teamId: -100123 })], nextCursor: null },
      },
      "GET /api/teams/-100123/members": { json: { members: [] } },
    });
    const fake = fakePlatform({ initDataRaw: initDataOf(ME.user.id), startTeamId: -100123 });
    const { api, opening } = openSession(fake.platform, net.fetch, localStorage);
    render(<App api={api} platform={fake.platform} botUsername={null} opening={opening} />);

    await screen.findByRole("button", { name: /Team work/ });
    expect(net.sent.filter((sent) => sent.path.startsWith("/api/tasks"))).toHaveLength(1);
    expect(
      deviceCache(localStorage, ME.user.id)
        ?.read("team:-100123")
        ?.map((kept) => kept.title),
    ).toEqual(["Team work"]);
  });
});
