// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from "@testing-library/preact";
import { afterEach, describe, expect, it } from "vitest";
import { TaskList } from "../../miniapp/src/screens/TaskList.tsx";
import { fakeFetch, fakePlatform, renderScreen, task } from "./harness.tsx";

afterEach(cleanup);

const ASSIGNED = "GET /api/tasks?status=open&assignee=me&limit=50";

describe("the task list", () => {
  it("shows each task with its assignee, relative due date and priority", async () => {
    const net = fakeFetch({
      [ASSIGNED]: {
        json: {
          tasks: [
            task({
              id: 1,
              title: "Ship it",
              assigneeId: 1001,
              dueAt: "2026-11-29T12:00:00Z",
              priority: "high",
            }),
            task({ id: 2, title: "Late one", dueAt: "2026-11-25T09:00:00Z" }),
            task({ id: 3, title: "Later", dueAt: "2026-12-01T09:00:00Z", priority: "low" }),
          ],
          nextCursor: null,
        },
      },
    });
    const { platform } = fakePlatform();
    renderScreen(<TaskList teamId={null} />, { fetch: net.fetch, platform });

    const first = await screen.findByRole("button", { name: /Ship it/ });
    expect(first.textContent).toContain("Me");
    expect(first.textContent).toContain("tomorrow");
    expect(screen.getByRole("img", { name: "High" })).toBeTruthy();
    const late = screen.getByRole("button", { name: /Late one/ });
    expect(late.textContent).toContain("Unassigned");
    expect(late.textContent).toContain("3 days ago");
    expect(late.querySelector(".due.overdue")).not.toBeNull();
    expect(screen.getByRole("button", { name: /Later/ }).textContent).toContain("in 3 days");
  });

  it("says in a short line how each repeating task repeats", async () => {
    const net = fakeFetch({
      [ASSIGNED]: {
        json: {
          tasks: [
            task({ id: 1, title: "Stand-up", repeat: { every: "week", weekdays: [1] } }),
            task({
              id: 2,
              title: "Water plants",
              repeat: { every: "days", days: 7, from: "done" },
            }),
            task({ id: 3, title: "Inbox zero", repeat: { every: "weekday" } }),
            task({ id: 4, title: "Pay rent", repeat: { every: "month", day: 15 } }),
            task({
              id: 5,
              title: "Sprint review",
              repeat: { every: "days", days: 14, from: "due" },
            }),
            task({ id: 6, title: "One-off" }),
          ],
          nextCursor: null,
        },
      },
    });
    renderScreen(<TaskList teamId={null} />, {
      fetch: net.fetch,
      platform: fakePlatform().platform,
    });

    const line = (title: string) =>
      screen.getByRole("button", { name: new RegExp(title) }).querySelectorAll(".row-meta")[1]
        ?.textContent ?? null;
    expect(await screen.findByRole("button", { name: /Stand-up/ })).toBeTruthy();
    expect(line("Stand-up")).toBe("↻ every Monday");
    expect(line("Water plants")).toBe("↻ 7 days after done");
    expect(line("Inbox zero")).toBe("↻ every weekday");
    expect(line("Pay rent")).toBe("↻ monthly on the 15th");
    expect(line("Sprint review")).toBe("↻ every 2 weeks");
    expect(line("One-off")).toBeNull();
    expect(screen.getAllByRole("img", { name: "Repeats" })).toHaveLength(5);
  });

  it("shows skeletons while loading, then an empty state with a next step", async () => {
    const net = fakeFetch({ [ASSIGNED]: { json: { tasks: [], nextCursor: null } } });
    const fake = fakePlatform();
    const view = renderScreen(<TaskList teamId={null} />, {
      fetch: net.fetch,
      platform: fake.platform,
    });
    expect(screen.getByRole("status", { name: "Loading" })).toBeTruthy();

    expect(await screen.findByText("No tasks yet — create one")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "New task" }));
    expect(view.opened).toEqual([{ name: "new", teamId: null }]);
    expect(fake.mainText()).toBe("New task");
  });

  it("says a session expired, and retries on request", async () => {
    let calls = 0;
    const net = fakeFetch({
      [ASSIGNED]: () =>
        ++calls === 1
          ? {
              status: 401,
              json: {
                error: {
                  code: "unauthorized",
                  message: "The init data has expired: reopen the app.",
                },
              },
            }
          : { json: { tasks: [task({ id: 9, title: "Back again" })], nextCursor: null } },
    });
    const fake = fakePlatform();
    renderScreen(<TaskList teamId={null} />, { fetch: net.fetch, platform: fake.platform });

    expect(await screen.findByText("Session expired — reopen the app")).toBeTruthy();
    expect(fake.calls).toContain("haptic:error");
    fireEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(await screen.findByRole("button", { name: /Back again/ })).toBeTruthy();
  });

  it("says when to try again after too many requests", async () => {
    const net = fakeFetch({
      [ASSIGNED]: {
        status: 429,
        headers: { "retry-after": "7" },
        json: { error: { code: "rate_limited", message: "Too many requests: try again in 7 s." } },
      },
    });
    renderScreen(<TaskList teamId={null} />, {
      fetch: net.fetch,
      platform: fakePlatform().platform,
    });
    expect(await screen.findByText("Too many requests — try again in 7 s")).toBeTruthy();
  });

  it("switches filters and the done toggle, asking the API for each", async () => {
    const net = fakeFetch({
      [ASSIGNED]: { json: { tasks: [], nextCursor: null } },
      "GET /api/tasks?teamId=-100123&status=open&limit=50": {
        json: { tasks: [task({ id: 5, title: "Team work", teamId: -100123 })], nextCursor: null },
      },
      "GET /api/tasks?teamId=-100123&status=done&limit=50": {
        json: { tasks: [], nextCursor: null },
      },
      "GET /api/teams/-100123/members": { json: { members: [] } },
      "GET /api/tasks?status=done&assignee=me&limit=50": { json: { tasks: [], nextCursor: null } },
    });
    const fake = fakePlatform();
    renderScreen(<TaskList teamId={-100123} />, { fetch: net.fetch, platform: fake.platform });

    expect(await screen.findByRole("button", { name: /Team work/ })).toBeTruthy();
    expect(screen.getByRole("tab", { name: "Team" }).getAttribute("aria-selected")).toBe("true");
    fireEvent.click(screen.getByRole("checkbox", { name: "Done" }));
    expect(await screen.findByText("Nothing completed yet")).toBeTruthy();
    fireEvent.click(screen.getByRole("tab", { name: "Assigned to me" }));
    await waitFor(() =>
      expect(net.sent.at(-1)?.path).toBe("/api/tasks?status=done&assignee=me&limit=50"),
    );
    expect(fake.calls.filter((c) => c === "haptic:selection")).toHaveLength(2);
  });
});
