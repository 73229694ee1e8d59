// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from "@testing-library/preact";
import { afterEach, describe, expect, it } from "vitest";
import { toLocalInput } from "../../miniapp/src/due.ts";
import { TaskForm } from "../../miniapp/src/screens/TaskForm.tsx";
import { fakeFetch, fakePlatform, renderScreen, task } from "./harness.tsx";

afterEach(cleanup);

describe("the new task form", () => {
  it("does not send a task without a title, and says why", async () => {
    const net = fakeFetch({});
    const fake = fakePlatform();
    renderScreen(<TaskForm id={null} teamId={null} />, {
      fetch: net.fetch,
      platform: fake.platform,
    });
    expect(fake.mainText()).toBe("Create");
    fake.pressMain();
    expect(await screen.findByText("Give the task a title")).toBeTruthy();
    expect(screen.getByLabelText("Title").getAttribute("aria-invalid")).toBe("true");
    expect(net.sent).toEqual([]);
    expect(fake.calls).toContain("haptic:error");
  });

  it("creates the task with the fields filled in and goes back", async () => {
    const net = fakeFetch({
      "POST /api/tasks": ({ body }) => ({
        status: 201,
        json: task({ id: 7, ...(body as { title: string }) }),
      }),
    });
    const fake = fakePlatform();
    const view = renderScreen(<TaskForm id={null} teamId={null} />, {
      fetch: net.fetch,
      platform: fake.platform,
    });
    fireEvent.input(screen.getByLabelText("Title"), { target: { value: "  Buy milk  " } });
    fireEvent.change(screen.getByLabelText("Priority"), { target: { value: "high" } });
    fake.pressMain();
    await waitFor(() => expect(view.wentBack()).toBe(1));
    expect(net.sent[0]).toEqual({
      method: "POST",
      path: "/api/tasks",
      body: {
        title: "Buy milk",
        description: null,
        teamId: null,
        assigneeId: 1001,
        dueAt: null,
        priority: "high",
      },
    });
    expect(fake.calls).toContain("haptic:success");
  });
});

describe("a new task from a message", () => {
  it("sends the picked message as the task's source, so its author stays known", async () => {
    const net = fakeFetch({
      "GET /api/teams/-100123/members": { json: { members: [] } },
      "GET /api/teams/-100123/messages?limit=20": {
        json: {
          messages: [
            {
              chatId: -100123,
              messageId: 42,
              authorId: 2002,
              text: "Order more coffee",
              date: "2026-11-28T09:00:00Z",
            },
          ],
          nextCursor: null,
        },
      },
      "POST /api/tasks": ({ body }) => ({
        status: 201,
        json: task({ id: 9, ...(body as { title: string }) }),
      }),
    });
    const fake = fakePlatform();
    const view = renderScreen(<TaskForm id={null} teamId={-100123} />, {
      fetch: net.fetch,
      platform: fake.platform,
    });
    fireEvent.click(screen.getByText("From a message"));
    fireEvent.click(await screen.findByText("Order more coffee"));
    await waitFor(() =>
      expect((screen.getByLabelText("Title") as HTMLInputElement).value).toBe("Order more coffee"),
    );
    fake.pressMain();
    await waitFor(() => expect(view.wentBack()).toBe(1));
    expect(net.sent.find((sent) => sent.method === "POST")?.body).toMatchObject({
      title: "Order more coffee",
      teamId: -100123,
      sourceMessage: { chatId: -100123, messageId: 42 },
    });
  });
});

describe("an open task", () => {
  const saved = task({
    id: 4,
    title: "Draft",
    description: "Notes",
    sourceMessage: { chatId: -100123, messageId: 8, text: "Please do it" },
  });

  it("offers Mark done until something changes, then Save with only the changes", async () => {
    const net = fakeFetch({
      "GET /api/tasks/4": { json: saved },
      "PATCH /api/tasks/4": ({ body }) => ({ json: { ...saved, ...(body as object) } }),
    });
    const fake = fakePlatform();
    renderScreen(<TaskForm id={4} teamId={null} />, { fetch: net.fetch, platform: fake.platform });
    expect(await screen.findByDisplayValue("Draft")).toBeTruthy();
    expect(screen.getByText("Please do it").tagName).toBe("BLOCKQUOTE");
    await waitFor(() => expect(fake.mainText()).toBe("Mark done"));

    fireEvent.input(screen.getByLabelText("Title"), { target: { value: "Final" } });
    await waitFor(() => expect(fake.mainText()).toBe("Save"));
    expect(fake.calls).toContain("closing:true");
    fake.pressMain();
    await waitFor(() => expect(fake.mainText()).toBe("Mark done"));
    expect(net.sent.at(-1)).toEqual({
      method: "PATCH",
      path: "/api/tasks/4",
      body: { title: "Final" },
    });
    expect(fake.calls).toContain("closing:false");

    fake.pressMain();
    await waitFor(() => expect(fake.mainText()).toBe("Reopen"));
    expect(net.sent.at(-1)?.body).toEqual({ status: "done" });
  });

  it("shows the API's reason when saving fails, keeping the changes", async () => {
    const net = fakeFetch({
      "GET /api/tasks/4": { json: saved },
      "PATCH /api/tasks/4": {
        status: 400,
        json: {
          error: { code: "invalid_input", message: "assigneeId: not a member of that group." },
        },
      },
    });
    const fake = fakePlatform();
    renderScreen(<TaskForm id={4} teamId={null} />, { fetch: net.fetch, platform: fake.platform });
    fireEvent.input(await screen.findByLabelText("Title"), { target: { value: "Changed" } });
    await waitFor(() => expect(fake.mainText()).toBe("Save"));
    fake.pressMain();
    expect(await screen.findByText("assigneeId: not a member of that group.")).toBeTruthy();
    expect(fake.mainText()).toBe("Save");
    expect((screen.getByLabelText("Title") as HTMLInputElement).value).toBe("Changed");
  });

  it("says in plain words when the due date is more than a year back", async () => {
    const net = fakeFetch({
      "GET /api/tasks/4": { json: saved },
      "PATCH /api/tasks/4": {
        status: 400,
        json: {
          error: {
            code: "due_too_old",
            message: "dueAt: that date is more than a year in the past.",
          },
        },
      },
    });
    const fake = fakePlatform();
    renderScreen(<TaskForm id={4} teamId={null} />, { fetch: net.fetch, platform: fake.platform });
    fireEvent.input(await screen.findByLabelText("Due"), { target: { value: "1970-01-05T09:00" } });
    await waitFor(() => expect(fake.mainText()).toBe("Save"));
    fake.pressMain();
    expect(
      await screen.findByText("That date is more than a year ago. Pick a later one."),
    ).toBeTruthy();
    expect((screen.getByLabelText("Due") as HTMLInputElement).value).toBe("1970-01-05T09:00");
  });

  it("is gone for someone who may not see it", async () => {
    const net = fakeFetch({
      "GET /api/tasks/4": {
        status: 404,
        json: { error: { code: "not_found", message: "Not found." } },
      },
    });
    renderScreen(<TaskForm id={4} teamId={null} />, {
      fetch: net.fetch,
      platform: fakePlatform().platform,
    });
    expect(
      await screen.findByText("This task no longer exists or is not yours to see."),
    ).toBeTruthy();
  });
});

describe("repeating", () => {
  const created = () =>
    fakeFetch({
      "POST /api/tasks": ({ body }) => ({
        status: 201,
        json: task({ id: 7, ...(body as { title: string }) }),
      }),
    });
  const repeatSelect = () => screen.getByLabelText("Repeat") as HTMLSelectElement;
  /** What the closed select shows. */
  const selectedLabel = () => {
    const select = repeatSelect();
    return select.options[select.selectedIndex]?.textContent;
  };

  it("creates a task that repeats every week on its due date's weekday", async () => {
    const net = created();
    const fake = fakePlatform();
    const view = renderScreen(<TaskForm id={null} teamId={null} />, {
      fetch: net.fetch,
      platform: fake.platform,
    });
    expect(selectedLabel()).toBe("Never");
    fireEvent.input(screen.getByLabelText("Title"), { target: { value: "Stand-up" } });
    fireEvent.input(screen.getByLabelText("Due"), { target: { value: "2026-12-02T09:30" } });
    fireEvent.change(repeatSelect(), { target: { value: "week" } });
    expect(selectedLabel()).toBe("Every week on Wednesday");
    expect(screen.queryByLabelText("Count from completion")).toBeNull();
    fake.pressMain();
    await waitFor(() => expect(view.wentBack()).toBe(1));
    expect(net.sent[0]?.body).toMatchObject({
      title: "Stand-up",
      repeat: { every: "week", weekdays: [3] },
    });
    expect(fake.calls).toContain("haptic:selection");
  });

  it("creates a monthly task on the due date's day, following a due date set afterwards", async () => {
    const net = created();
    const fake = fakePlatform();
    const view = renderScreen(<TaskForm id={null} teamId={null} />, {
      fetch: net.fetch,
      platform: fake.platform,
      now: new Date("2026-11-28T10:00:00Z"),
    });
    fireEvent.input(screen.getByLabelText("Title"), { target: { value: "Pay rent" } });
    fireEvent.change(repeatSelect(), { target: { value: "month" } });
    expect(selectedLabel()).toBe("Every month on the 28th");
    fireEvent.input(screen.getByLabelText("Due"), { target: { value: "2026-12-15T09:00" } });
    expect(selectedLabel()).toBe("Every month on the 15th");
    fake.pressMain();
    await waitFor(() => expect(view.wentBack()).toBe(1));
    expect(net.sent[0]?.body).toMatchObject({ repeat: { every: "month", day: 15 } });
  });

  it("counts an interval from completion when asked, sending only the new rule", async () => {
    const saved = task({ id: 4, title: "Water plants", dueAt: "2026-11-30T12:00:00Z" });
    const net = fakeFetch({
      "GET /api/tasks/4": { json: saved },
      "PATCH /api/tasks/4": ({ body }) => ({ json: { ...saved, ...(body as object) } }),
    });
    const fake = fakePlatform();
    renderScreen(<TaskForm id={4} teamId={null} />, { fetch: net.fetch, platform: fake.platform });
    expect(await screen.findByDisplayValue("Water plants")).toBeTruthy();
    fireEvent.change(repeatSelect(), { target: { value: "twoWeeks" } });
    fireEvent.click(screen.getByLabelText("Count from completion"));
    await waitFor(() => expect(fake.mainText()).toBe("Save"));
    fake.pressMain();
    await waitFor(() => expect(fake.mainText()).toBe("Mark done"));
    expect(net.sent.at(-1)).toEqual({
      method: "PATCH",
      path: "/api/tasks/4",
      body: { repeat: { every: "days", days: 14, from: "done" } },
    });
    expect(selectedLabel()).toBe("Every 2 weeks");
    expect((screen.getByLabelText("Count from completion") as HTMLInputElement).checked).toBe(true);
  });

  it("keeps a rule the select does not offer, and sends no repeat when it is unchanged", async () => {
    const saved = task({
      id: 4,
      title: "Gym",
      dueAt: "2026-11-30T12:00:00Z",
      repeat: { every: "week", weekdays: [4, 1] },
      seriesId: 2,
    });
    const net = fakeFetch({
      "GET /api/tasks/4": { json: saved },
      "PATCH /api/tasks/4": ({ body }) => ({ json: { ...saved, ...(body as object) } }),
    });
    const fake = fakePlatform();
    renderScreen(<TaskForm id={4} teamId={null} />, { fetch: net.fetch, platform: fake.platform });
    expect(await screen.findByDisplayValue("Gym")).toBeTruthy();
    expect(selectedLabel()).toBe("Every Monday and Thursday");
    fireEvent.input(screen.getByLabelText("Title"), { target: { value: "Gym, legs" } });
    fireEvent.input(screen.getByLabelText("Due"), { target: { value: "2026-12-03T18:00" } });
    await waitFor(() => expect(fake.mainText()).toBe("Save"));
    fake.pressMain();
    await waitFor(() => expect(fake.mainText()).toBe("Mark done"));
    const body = net.sent.at(-1)?.body as Record<string, unknown>;
    expect(body.title).toBe("Gym, legs");
    expect(body).toHaveProperty("dueAt");
    expect(body).not.toHaveProperty("repeat");
  });

  it("stops repeating when Never is picked", async () => {
    const saved = task({
      id: 4,
      title: "Gym",
      dueAt: "2026-11-30T12:00:00Z",
      repeat: { every: "weekday" },
    });
    const net = fakeFetch({
      "GET /api/tasks/4": { json: saved },
      "PATCH /api/tasks/4": ({ body }) => ({ json: { ...saved, ...(body as object) } }),
    });
    const fake = fakePlatform();
    renderScreen(<TaskForm id={4} teamId={null} />, { fetch: net.fetch, platform: fake.platform });
    expect(await screen.findByDisplayValue("Gym")).toBeTruthy();
    expect(selectedLabel()).toBe("Every weekday");
    fireEvent.change(repeatSelect(), { target: { value: "never" } });
    await waitFor(() => expect(fake.mainText()).toBe("Save"));
    fake.pressMain();
    await waitFor(() => expect(fake.mainText()).toBe("Mark done"));
    expect(net.sent.at(-1)?.body).toEqual({ repeat: null });
  });

  it("skips to the next date and shows it", async () => {
    const saved = task({
      id: 4,
      title: "Stand-up",
      dueAt: "2026-11-30T12:00:00Z",
      repeat: { every: "weekday" },
    });
    const moved = { ...saved, dueAt: "2026-12-01T12:00:00Z" };
    const net = fakeFetch({
      "GET /api/tasks/4": { json: saved },
      "POST /api/tasks/4/skip": { json: moved },
    });
    const fake = fakePlatform();
    renderScreen(<TaskForm id={4} teamId={null} />, { fetch: net.fetch, platform: fake.platform });
    fireEvent.click(await screen.findByRole("button", { name: "Skip this date" }));

    expect((await screen.findByRole("status")).textContent).toMatch(/^Moved to Tue, Dec 1, /);
    expect(net.sent.at(-1)).toEqual({
      method: "POST",
      path: "/api/tasks/4/skip",
      body: undefined,
    });
    expect((screen.getByLabelText("Due") as HTMLInputElement).value).toBe(
      toLocalInput(moved.dueAt),
    );
    expect(fake.calls).toContain("haptic:success");
    // The new date is the saved one: nothing is left to save.
    expect(fake.mainText()).toBe("Mark done");
  });

  it("says why a task that no longer repeats cannot skip", async () => {
    const saved = task({
      id: 4,
      title: "Stand-up",
      dueAt: "2026-11-30T12:00:00Z",
      repeat: { every: "weekday" },
    });
    const net = fakeFetch({
      "GET /api/tasks/4": { json: saved },
      "POST /api/tasks/4/skip": {
        status: 409,
        json: { error: { code: "not_repeating", message: "Only an open repeating task…" } },
      },
    });
    const fake = fakePlatform();
    renderScreen(<TaskForm id={4} teamId={null} />, { fetch: net.fetch, platform: fake.platform });
    fireEvent.click(await screen.findByRole("button", { name: "Skip this date" }));
    expect(
      await screen.findByText(
        "This task is done or no longer repeats, so there is no date to skip.",
      ),
    ).toBeTruthy();
    expect(fake.calls).toContain("haptic:error");
  });

  it("offers no skip for a task that does not repeat", async () => {
    const net = fakeFetch({ "GET /api/tasks/4": { json: task({ id: 4, title: "Once" }) } });
    renderScreen(<TaskForm id={4} teamId={null} />, {
      fetch: net.fetch,
      platform: fakePlatform().platform,
    });
    expect(await screen.findByDisplayValue("Once")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Skip this date" })).toBeNull();
    expect(selectedLabel()).toBe("Never");
  });
});

describe("reminders", () => {
  const remindGroup = () => screen.queryByRole("group", { name: "Remind" });
  const toggle = (label: string) => screen.getByLabelText(label) as HTMLInputElement;
  const ticked = () =>
    ["At due time", "15 min before", "1 h before", "1 day before"].filter(
      (label) => toggle(label).checked,
    );
  const editing = (saved: ReturnType<typeof task>) =>
    fakeFetch({
      "GET /api/tasks/4": { json: saved },
      "PATCH /api/tasks/4": ({ body }) => ({ json: { ...saved, ...(body as object) } }),
    });
  const created = () =>
    fakeFetch({
      "POST /api/tasks": ({ body }) => ({
        status: 201,
        json: task({ id: 7, ...(body as { title: string }) }),
      }),
    });

  it("offers no toggles without a due date, and sends no reminders", async () => {
    const net = created();
    const fake = fakePlatform();
    const view = renderScreen(<TaskForm id={null} teamId={null} />, {
      fetch: net.fetch,
      platform: fake.platform,
    });
    expect(remindGroup()).toBeNull();
    expect(screen.queryByLabelText("At due time")).toBeNull();
    fireEvent.input(screen.getByLabelText("Title"), { target: { value: "Someday" } });
    fake.pressMain();
    await waitFor(() => expect(view.wentBack()).toBe(1));
    expect(net.sent[0]?.body).not.toHaveProperty("reminders");
  });

  it("reminds a new task at its due time unless told otherwise", async () => {
    const net = created();
    const fake = fakePlatform();
    const view = renderScreen(<TaskForm id={null} teamId={null} />, {
      fetch: net.fetch,
      platform: fake.platform,
    });
    fireEvent.input(screen.getByLabelText("Title"), { target: { value: "Call the bank" } });
    fireEvent.input(screen.getByLabelText("Due"), { target: { value: "2026-12-02T09:30" } });
    expect(remindGroup()).not.toBeNull();
    expect(ticked()).toEqual(["At due time"]);
    fake.pressMain();
    await waitFor(() => expect(view.wentBack()).toBe(1));
    expect(net.sent[0]?.body).toMatchObject({ title: "Call the bank", reminders: [0] });
  });

  it("adds the reminders ticked, in order", async () => {
    const net = created();
    const fake = fakePlatform();
    const view = renderScreen(<TaskForm id={null} teamId={null} />, {
      fetch: net.fetch,
      platform: fake.platform,
    });
    fireEvent.input(screen.getByLabelText("Title"), { target: { value: "Call the bank" } });
    fireEvent.input(screen.getByLabelText("Due"), { target: { value: "2026-12-02T09:30" } });
    fireEvent.click(toggle("1 h before"));
    expect(ticked()).toEqual(["At due time", "1 h before"]);
    expect(fake.calls).toContain("haptic:selection");
    fake.pressMain();
    await waitFor(() => expect(view.wentBack()).toBe(1));
    expect(net.sent[0]?.body).toMatchObject({ reminders: [0, 60] });
  });

  it("hides the toggles when the due date is cleared, sending no reminders", async () => {
    const net = created();
    const fake = fakePlatform();
    const view = renderScreen(<TaskForm id={null} teamId={null} />, {
      fetch: net.fetch,
      platform: fake.platform,
    });
    fireEvent.input(screen.getByLabelText("Title"), { target: { value: "Call the bank" } });
    fireEvent.input(screen.getByLabelText("Due"), { target: { value: "2026-12-02T09:30" } });
    fireEvent.click(toggle("1 day before"));
    fireEvent.input(screen.getByLabelText("Due"), { target: { value: "" } });
    expect(remindGroup()).toBeNull();
    fake.pressMain();
    await waitFor(() => expect(view.wentBack()).toBe(1));
    expect(net.sent[0]?.body).toMatchObject({ dueAt: null });
    expect(net.sent[0]?.body).not.toHaveProperty("reminders");
  });

  it("stops reminding when the last toggle is unticked", async () => {
    const saved = task({ id: 4, title: "Dentist", dueAt: "2026-12-01T08:00:00Z", reminders: [0] });
    const net = editing(saved);
    const fake = fakePlatform();
    renderScreen(<TaskForm id={4} teamId={null} />, { fetch: net.fetch, platform: fake.platform });
    expect(await screen.findByDisplayValue("Dentist")).toBeTruthy();
    expect(ticked()).toEqual(["At due time"]);
    fireEvent.click(toggle("At due time"));
    await waitFor(() => expect(fake.mainText()).toBe("Save"));
    fake.pressMain();
    await waitFor(() => expect(fake.mainText()).toBe("Mark done"));
    expect(net.sent.at(-1)).toEqual({
      method: "PATCH",
      path: "/api/tasks/4",
      body: { reminders: [] },
    });
    expect(ticked()).toEqual([]);
  });

  it("sends no reminders when they are left as they were", async () => {
    const saved = task({
      id: 4,
      title: "Dentist",
      dueAt: "2026-12-01T08:00:00Z",
      reminders: [0, 1440],
    });
    const net = editing(saved);
    const fake = fakePlatform();
    renderScreen(<TaskForm id={4} teamId={null} />, { fetch: net.fetch, platform: fake.platform });
    expect(await screen.findByDisplayValue("Dentist")).toBeTruthy();
    expect(ticked()).toEqual(["At due time", "1 day before"]);
    // Ticked off and on again is no change either.
    fireEvent.click(toggle("1 day before"));
    fireEvent.click(toggle("1 day before"));
    fireEvent.input(screen.getByLabelText("Title"), { target: { value: "Dentist, 2nd floor" } });
    await waitFor(() => expect(fake.mainText()).toBe("Save"));
    fake.pressMain();
    await waitFor(() => expect(fake.mainText()).toBe("Mark done"));
    expect(net.sent.at(-1)?.body).toEqual({ title: "Dentist, 2nd floor" });
  });
  it("explains that a whole-day due from the chat cannot remind until it gets a time", async () => {
    const saved = task({
      id: 4,
      title: "Report",
      dueAt: "2026-12-04T00:00:00Z",
      dueHasTime: false,
    });
    renderScreen(<TaskForm id={4} teamId={null} />, {
      fetch: editing(saved).fetch,
      platform: fakePlatform().platform,
    });
    expect(await screen.findByDisplayValue("Report")).toBeTruthy();
    expect(remindGroup()).toBeNull();
    expect(
      screen.getByText("This due date has no time of day: set one to get reminders."),
    ).toBeTruthy();
    fireEvent.input(screen.getByLabelText("Due"), { target: { value: "2026-12-04T16:00" } });
    expect(remindGroup()).not.toBeNull();
  });

  it("gives a task its due-time reminder when it gets its first due date", async () => {
    const saved = task({ id: 4, title: "Visa" });
    const net = editing(saved);
    const fake = fakePlatform();
    renderScreen(<TaskForm id={4} teamId={null} />, { fetch: net.fetch, platform: fake.platform });
    expect(await screen.findByDisplayValue("Visa")).toBeTruthy();
    fireEvent.input(screen.getByLabelText("Due"), { target: { value: "2026-12-03T10:00" } });
    expect(ticked()).toEqual(["At due time"]);
    await waitFor(() => expect(fake.mainText()).toBe("Save"));
    fake.pressMain();
    await waitFor(() => expect(fake.mainText()).toBe("Mark done"));
    expect(net.sent.at(-1)?.body).toMatchObject({ reminders: [0] });
  });
});
