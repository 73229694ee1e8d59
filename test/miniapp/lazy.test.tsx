// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from "@testing-library/preact";
import { afterEach, describe, expect, it } from "vitest";
import { lazyScreen } from "../../miniapp/src/ui/lazy.tsx";

afterEach(cleanup);

function Greeting({ name }: { name: string }) {
  return <h1>Hello, {name}</h1>;
}

/** A screen whose code arrives when the test says so. */
function screenArrivingLater() {
  const loads: Array<{ resolve: () => void; reject: () => void }> = [];
  const Lazy = lazyScreen<{ name: string }>(
    () =>
      new Promise((resolve, reject) => {
        loads.push({
          resolve: () => resolve(Greeting),
          reject: () => reject(new Error("offline")),
        });
      }),
  );
  return { Lazy, loads };
}

describe("a screen loaded on demand", () => {
  it("shows the loading skeleton until its code arrives, then the screen", async () => {
    const { Lazy, loads } = screenArrivingLater();
    render(<Lazy name="Alice" />);
    expect(screen.getByRole("status", { name: "Loading" })).toBeTruthy();
    loads[0]?.resolve();
    expect(await screen.findByRole("heading", { name: "Hello, Alice" })).toBeTruthy();
  });

  it("shows at once, with its props, when it was preloaded before its first showing", async () => {
    const { Lazy, loads } = screenArrivingLater();
    const preloaded = Lazy.preload();
    loads[0]?.resolve();
    await preloaded;
    render(<Lazy name="Bob" />);
    expect(screen.getByRole("heading", { name: "Hello, Bob" })).toBeTruthy();
    expect(loads).toHaveLength(1);
  });

  it("says so when its code cannot be fetched, and fetches it again on Retry", async () => {
    const { Lazy, loads } = screenArrivingLater();
    render(<Lazy name="Carol" />);
    loads[0]?.reject();
    expect((await screen.findByRole("alert")).textContent).toContain(
      "Something went wrong. Please try again.",
    );
    fireEvent.click(screen.getByRole("button", { name: "Retry" }));
    await expect.poll(() => loads.length).toBe(2);
    loads[1]?.resolve();
    expect(await screen.findByRole("heading", { name: "Hello, Carol" })).toBeTruthy();
  });
});
