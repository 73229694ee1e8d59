import { render } from "preact";
import { App } from "./app.tsx";
import { openSession } from "./opening.ts";
import { telegramLaunch, telegramPlatform } from "./platform-telegram.ts";
import { t } from "./strings.ts";

async function botUsername(): Promise<string | null> {
  try {
    const response = await fetch("/bot.json");
    const data = (await response.json()) as { username?: string | null };
    return data.username ?? null;
  } catch {
    return null;
  }
}

function OutsideTelegram({ username }: { username: string | null }) {
  const link = username ? `https://t.me/${username}` : "https://t.me";
  return (
    <main class="state">
      <h1>{t.openFromTelegram}</h1>
      <p>{t.openFromTelegramHint}</p>
      <a class="button" href={link}>
        {username ? `@${username}` : "Telegram"}
      </a>
    </main>
  );
}

const root = document.getElementById("app");
if (root) {
  const launch = telegramLaunch();
  if (!launch) {
    void botUsername().then((name) => render(<OutsideTelegram username={name} />, root));
  } else {
    const platform = telegramPlatform(launch);
    // /api/me and the first list leave now, before the first render, and together.
    const { api, opening } = openSession(platform);
    // The app starts at once; the bot's name (for the export fallback) arrives when it does.
    render(<App api={api} platform={platform} botUsername={null} opening={opening} />, root);
    platform.ready();
    // Asked after the opening requests, which the first screen waits for; this one it does not.
    void botUsername().then((name) =>
      render(<App api={api} platform={platform} botUsername={name} opening={opening} />, root),
    );
  }
}
