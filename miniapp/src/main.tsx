import { render } from "preact";
import { createApi } from "./api.ts";
import { App } from "./app.tsx";
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
  const username = botUsername();
  const launch = telegramLaunch();
  if (!launch) {
    void username.then((name) => render(<OutsideTelegram username={name} />, root));
  } else {
    const platform = telegramPlatform(launch);
    const api = createApi(platform.initDataRaw);
    // The app starts at once; the bot's name (for the export fallback) arrives when it does.
    render(<App api={api} platform={platform} botUsername={null} />, root);
    void username.then((name) =>
      render(<App api={api} platform={platform} botUsername={name} />, root),
    );
  }
}
