// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from "@testing-library/preact";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Privacy } from "../../miniapp/src/screens/Privacy.tsx";
import { fakeFetch, fakePlatform, ME, renderScreen } from "./harness.tsx";

afterEach(() => {
  cleanup();
  vi.unstubAllEnvs();
});

/** PATCH /api/me as the service answers it: the whole profile with the new zone. */
const patchMe = ({ body }: { body: unknown }) => ({
  json: { ...ME, user: { ...ME.user, timezone: (body as { timezone: string }).timezone } },
});

describe("the privacy screen", () => {
  it("turns consent on and off with the switch", async () => {
    const net = fakeFetch({
      "PUT /api/me/consent": ({ body }) => ({
        json: {
          granted: (body as { granted: boolean }).granted,
          policyVersion: 1,
          at: "2026-11-28T10:00:00Z",
        },
      }),
    });
    const fake = fakePlatform();
    renderScreen(<Privacy botUsername="tasks_bot" />, {
      fetch: net.fetch,
      platform: fake.platform,
    });
    const toggle = screen.getByRole("switch", { name: "Record my group messages" });
    expect(toggle.getAttribute("aria-checked")).toBe("false");
    fireEvent.click(toggle);
    await waitFor(() => expect(toggle.getAttribute("aria-checked")).toBe("true"));
    fireEvent.click(toggle);
    await waitFor(() => expect(toggle.getAttribute("aria-checked")).toBe("false"));
    expect(net.sent.map((s) => s.body)).toEqual([{ granted: true }, { granted: false }]);
  });

  it("offers this device's time zone and shows it once saved", async () => {
    vi.stubEnv("TZ", "Asia/Tokyo");
    const net = fakeFetch({ "PATCH /api/me": patchMe });
    renderScreen(<Privacy botUsername={null} />, {
      fetch: net.fetch,
      platform: fakePlatform().platform,
      me: { ...ME, user: { ...ME.user, timezone: "UTC" } },
    });
    expect(screen.getByText("Time zone: UTC")).toBeTruthy();
    fireEvent.click(
      screen.getByRole("button", { name: "Use this device's time zone (Asia/Tokyo)" }),
    );
    expect(await screen.findByText("Time zone: Asia/Tokyo")).toBeTruthy();
    expect(screen.queryByRole("button", { name: /Use this device's time zone/ })).toBeNull();
    expect(net.sent).toEqual([
      { method: "PATCH", path: "/api/me", body: { timezone: "Asia/Tokyo" } },
    ]);
  });

  it("does not offer the device's zone when it is the same zone by another name", () => {
    // ICU may call Europe/Kyiv by its older name, Europe/Kiev.
    vi.stubEnv("TZ", "Europe/Kiev");
    renderScreen(<Privacy botUsername={null} />, {
      fetch: fakeFetch({}).fetch,
      platform: fakePlatform().platform,
      me: { ...ME, user: { ...ME.user, timezone: "Europe/Kyiv" } },
    });
    expect(screen.getByText("Time zone: Europe/Kyiv")).toBeTruthy();
    expect(screen.queryByRole("button", { name: /Use this device's time zone/ })).toBeNull();
    const select = screen.getByLabelText("Choose a time zone") as HTMLSelectElement;
    expect(select.value).toBe("Europe/Kyiv");
  });

  it("saves a zone picked from the list", async () => {
    const net = fakeFetch({ "PATCH /api/me": patchMe });
    renderScreen(<Privacy botUsername={null} />, {
      fetch: net.fetch,
      platform: fakePlatform().platform,
    });
    const select = screen.getByLabelText("Choose a time zone") as HTMLSelectElement;
    expect(select.value).toBe("UTC");
    fireEvent.change(select, { target: { value: "America/New_York" } });
    expect(await screen.findByText("Time zone: America/New_York")).toBeTruthy();
    expect(select.value).toBe("America/New_York");
    expect(net.sent).toEqual([
      { method: "PATCH", path: "/api/me", body: { timezone: "America/New_York" } },
    ]);
  });

  it("says why a zone was refused and keeps the saved one", async () => {
    const net = fakeFetch({
      "PATCH /api/me": {
        status: 400,
        json: { error: { code: "invalid_input", message: 'timezone: unknown time zone "X"' } },
      },
    });
    renderScreen(<Privacy botUsername={null} />, {
      fetch: net.fetch,
      platform: fakePlatform().platform,
    });
    const select = screen.getByLabelText("Choose a time zone") as HTMLSelectElement;
    fireEvent.change(select, { target: { value: "America/New_York" } });
    expect((await screen.findByRole("alert")).textContent).toBe('timezone: unknown time zone "X"');
    expect(screen.getByText("Time zone: UTC")).toBeTruthy();
    expect(select.value).toBe("UTC");
  });

  it("erases only after DELETE is typed", async () => {
    const net = fakeFetch({ "DELETE /api/me": { json: { deleted: { messages: 0 } } } });
    renderScreen(<Privacy botUsername={null} />, {
      fetch: net.fetch,
      platform: fakePlatform().platform,
    });
    const erase = screen.getByRole("button", { name: "Delete everything" }) as HTMLButtonElement;
    expect(erase.disabled).toBe(true);
    const confirm = screen.getByLabelText(/Type DELETE to confirm/);
    fireEvent.input(confirm, { target: { value: "delete" } });
    expect(erase.disabled).toBe(true);
    fireEvent.input(confirm, { target: { value: "DELETE" } });
    expect(erase.disabled).toBe(false);
    fireEvent.click(erase);
    expect(await screen.findByText("Your data is deleted.")).toBeTruthy();
    expect(net.sent).toEqual([{ method: "DELETE", path: "/api/me", body: { confirm: "DELETE" } }]);
  });

  it("on a phone, asks the bot to send the export instead of downloading", async () => {
    const net = fakeFetch({});
    const fake = fakePlatform({ canDownloadFiles: false });
    renderScreen(<Privacy botUsername="tasks_bot" />, {
      fetch: net.fetch,
      platform: fake.platform,
    });
    fireEvent.click(screen.getByRole("button", { name: "Download my data" }));
    expect(await screen.findByText("The bot is sending you the file in our chat.")).toBeTruthy();
    expect(fake.calls).toContain("link:https://t.me/tasks_bot?start=export");
    expect(net.sent).toEqual([]);
  });

  it("says when the next export is allowed", async () => {
    const net = fakeFetch({
      "GET /api/me/export": { status: 429, headers: { "retry-after": "540" }, json: {} },
    });
    renderScreen(<Privacy botUsername={null} />, {
      fetch: net.fetch,
      platform: fakePlatform().platform,
    });
    fireEvent.click(screen.getByRole("button", { name: "Download my data" }));
    expect(await screen.findByText("Too many requests — try again in 540 s")).toBeTruthy();
  });

  it("shows admins the retention period and saves a new one", async () => {
    const net = fakeFetch({
      "GET /api/admin/retention": { json: { days: 90, minDays: 1, maxDays: 3650, teams: [] } },
      "PUT /api/admin/retention": ({ body }) => ({
        json: { days: (body as { days: number }).days, minDays: 1, maxDays: 3650, teams: [] },
      }),
    });
    renderScreen(<Privacy botUsername={null} />, {
      fetch: net.fetch,
      platform: fakePlatform().platform,
      me: { ...ME, isAdmin: true },
    });
    const days = (await screen.findByLabelText("Global period, days")) as HTMLInputElement;
    expect(days.value).toBe("90");
    fireEvent.input(days, { target: { value: "30" } });
    fireEvent.click(screen.getByRole("button", { name: "Save period" }));
    await waitFor(() => expect(net.sent.at(-1)?.body).toEqual({ days: 30 }));
  });
});
