import { Api, GrammyError, HttpError } from "grammy";
import type { WebhookInfo } from "grammy/types";
import { loadConfigOrExit } from "#bot/config";
import { WEBHOOK_PATH, webhookRegistration } from "#bot/http/webhook";

/**
 * `npm run webhook -- set|info|delete [--drop-pending]`: registers the service's webhook with
 * Telegram (PUBLIC_URL, WEBHOOK_SECRET, the updates the bot handles), shows what Telegram
 * holds for it, or removes it. The service sets it too when it starts with BOT_MODE=webhook;
 * this is for looking at it, and for setting it up or taking it down by hand.
 */
const USAGE =
  "usage: npm run webhook -- set | info | delete [--drop-pending]\n" +
  "  set     registers PUBLIC_URL/telegram/webhook with WEBHOOK_SECRET\n" +
  "  info    shows the webhook, the updates waiting and the last delivery error\n" +
  "  delete  removes the webhook (--drop-pending also drops the updates waiting)\n";

const [command, ...flags] = process.argv.slice(2);
const dropPending = flags.includes("--drop-pending");
const unknownFlag = flags.find((flag) => flag !== "--drop-pending");
if (!command) fail(USAGE, 2);
if (!["set", "info", "delete"].includes(command)) fail(`unknown command: ${command}\n${USAGE}`, 2);
if (unknownFlag) fail(`unknown option: ${unknownFlag}\n${USAGE}`, 2);
if (dropPending && command !== "delete") fail("--drop-pending goes with delete only", 2);

const config = loadConfigOrExit();
const api = new Api(config.botToken, { apiRoot: config.telegramApiRoot });

try {
  if (command === "set") await set();
  else if (command === "info") await info();
  else await remove();
} catch (error) {
  fail(describeFailure(error), 1);
}

async function set(): Promise<void> {
  if (!config.publicUrl) fail("PUBLIC_URL is required to set the webhook (https://…)", 1);
  if (!config.publicUrl.startsWith("https://")) {
    fail(
      `PUBLIC_URL must be an https address for a webhook (Telegram refuses http): ${config.publicUrl}`,
      1,
    );
  }
  if (!config.webhookSecret) fail("WEBHOOK_SECRET is required to set the webhook", 1);
  const hook = webhookRegistration(config.publicUrl, config.webhookSecret);
  await api.setWebhook(hook.url, hook.options);
  write(
    `Webhook set: ${hook.url}\n` +
      `  updates: ${hook.options.allowed_updates.join(", ")}; at most ${hook.options.max_connections} connections; secret from WEBHOOK_SECRET\n` +
      "Start the service with BOT_MODE=webhook, or Telegram's deliveries go unanswered.\n",
  );
}

async function info(): Promise<void> {
  const hook = await api.getWebhookInfo();
  write(describeWebhook(hook, config.publicUrl ? `${config.publicUrl}${WEBHOOK_PATH}` : undefined));
}

async function remove(): Promise<void> {
  await api.deleteWebhook({ drop_pending_updates: dropPending });
  write(
    dropPending
      ? "Webhook deleted; the updates waiting were dropped.\n"
      : "Webhook deleted; the updates waiting stay for the next getUpdates (polling) or webhook.\n",
  );
}

function describeWebhook(hook: WebhookInfo, expected: string | undefined): string {
  const lines = [
    hook.url === ""
      ? "Webhook: none (updates wait for getUpdates: the service in polling mode)"
      : `Webhook: ${hook.url}`,
  ];
  if (hook.url !== "" && expected && hook.url !== expected) {
    lines.push(`  not this service's address (PUBLIC_URL gives ${expected})`);
  }
  lines.push(`Pending updates: ${hook.pending_update_count}`);
  if (hook.url !== "") {
    lines.push(`Max connections: ${hook.max_connections ?? "Telegram's default (40)"}`);
    lines.push(
      `Allowed updates: ${hook.allowed_updates?.join(", ") ?? "Telegram's default (all but chat_member and a few others)"}`,
    );
  }
  lines.push(
    hook.last_error_date
      ? `Last error: ${isoDate(hook.last_error_date)}: ${hook.last_error_message ?? "(no message)"}`
      : "Last error: none",
  );
  if (hook.last_synchronization_error_date) {
    lines.push(
      `Last synchronization error (Telegram's side): ${isoDate(hook.last_synchronization_error_date)}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function isoDate(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(".000Z", "Z");
}

/** One line; never the token (grammY's errors can quote the request). */
function describeFailure(error: unknown): string {
  if (error instanceof GrammyError) {
    return `Telegram refused ${error.method}: ${error.description} (${error.error_code})`;
  }
  if (error instanceof HttpError) {
    const code = (error.error as { code?: unknown } | undefined)?.code;
    return `cannot reach the Bot API at ${config.telegramApiRoot}: ${typeof code === "string" ? code : "network error"}`;
  }
  throw error;
}

function write(text: string): void {
  process.stdout.write(text);
}

function fail(message: string, code: number): never {
  process.stderr.write(message.endsWith("\n") ? message : `${message}\n`);
  process.exit(code);
}
