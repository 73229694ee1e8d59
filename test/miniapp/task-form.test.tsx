// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from "@testing-library/preact";
import { afterEach, describe, expect, it } from "vitest";
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
