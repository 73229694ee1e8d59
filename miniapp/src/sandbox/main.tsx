import { render } from "preact";
import { sandboxClient } from "./client.ts";
import type { ThemeName } from "./launch.ts";
import { Sandbox } from "./Sandbox.tsx";

const root = document.getElementById("sandbox");
if (root) {
  const dark = window.matchMedia?.("(prefers-color-scheme: dark)").matches ?? false;
  render(
    <Sandbox
      client={sandboxClient((...args) => fetch(...args))}
      openEvents={(url) => new EventSource(url)}
      initialTheme={dark ? "dark" : "light"}
      applyTheme={(theme: ThemeName) => {
        document.documentElement.dataset.theme = theme;
      }}
    />,
    root,
  );
}
