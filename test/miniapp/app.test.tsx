// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from "@testing-library/preact";
import { afterEach, describe, expect, it } from "vitest";
import { createApi } from "../../miniapp/src/api.ts";
import { App } from "../../miniapp/src/app.tsx";
import { fakeFetch, fakePlatform, ME } from "./harness.tsx";

afterEach(cleanup);

const routes = {
  "GET /api/me": { json: ME },
  "GET /api/tasks?status=open&assignee=me&limit=50": { json: { tasks: [], nextCursor: null } },
};

describe("the app", () => {
  it("moves between tabs and shows the BackButton only below the first screen", async () => {
    const net = fakeFetch(routes);
    const fake = fakePlatform();
    render(<App api={createApi("raw", net.fetch)} platform={fake.platform} botUsername={null} />);
    expect(await screen.findByText("No tasks yet — create one")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Privacy" }));
    expect(await screen.findByRole("switch", { name: "Record my group messages" })).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Tasks" }));
    fireEvent.click(await screen.findByRole("button", { name: "New task" }));
    expect(await screen.findByRole("form", { name: "New task" })).toBeTruthy();
    expect(fake.calls).toContain("back:show");
    expect(screen.queryByRole("navigation")).toBeNull();
  });

  it("tells the person when they are offline", async () => {
    const net = fakeFetch(routes);
    render(
      <App
        api={createApi("raw", net.fetch)}
        platform={fakePlatform().platform}
        botUsername={null}
      />,
    );
    await screen.findByText("No tasks yet — create one");
    Object.defineProperty(navigator, "onLine", { value: false, configurable: true });
    await act(() => {
      window.dispatchEvent(new Event("offline"));
    });
    expect(screen.getByText(/You are offline/)).toBeTruthy();
    Object.defineProperty(navigator, "onLine", { value: true, configurable: true });
  });

  it("says the session expired when the API refuses the init data", async () => {
    const net = fakeFetch({
      "GET /api/me": { status: 401, json: { error: { code: "unauthorized", message: "x" } } },
    });
    render(
      <App
        api={createApi("raw", net.fetch)}
        platform={fakePlatform().platform}
        botUsername={null}
      />,
    );
    expect(await screen.findByText("Session expired — reopen the app")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Retry" })).toBeTruthy();
  });
});
