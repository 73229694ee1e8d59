import { Composer, InlineKeyboard, InputFile } from "grammy";
import { describeError } from "#bot/lib/logger";
import { formatTime } from "#bot/lib/moments";
import type { BotContext } from "#bot/telegram/context";
import { privacyOp, startLink } from "./chat.ts";
import { exportData } from "./core/export.ts";
import { reachableInPrivate } from "./core/me.ts";

/** Telegram shows a chat action for about 5 s; a long export renews it. */
const CHAT_ACTION_RENEW_MS = 4000;

/**
 * Claims the export slot and writes the audit record in the update's transaction, then,
 * once that has committed, streams the file to the person's private chat. A delivery that
 * fails gives the slot back, so they can try again at once.
 */
async function startExport(ctx: BotContext, userId: number): Promise<"started" | Date> {
  const claim = await exportData(privacyOp(ctx, { id: userId }), ctx.services);
  if (!claim.ok) return claim.retryAt;
  const { fileName, release } = claim;
  const read = () => claim.document();
  const { api } = ctx;
  const { hashId, log } = ctx.services;
  ctx.afterCommit(async () => {
    // Said here, not through the outbox, so it comes before the file and before an apology.
    await api.sendMessage(userId, "Preparing your data export…").catch(() => {});
    const renew = () => api.sendChatAction(userId, "upload_document").catch(() => {});
    await renew();
    const timer = setInterval(renew, CHAT_ACTION_RENEW_MS);
    // A failure in our own data (say, a missing key) must end the upload for good: the
    // auto-retry layer retries failed uploads, and stops only once the signal aborts.
    const stop = new AbortController();
    let dataError: unknown;
    async function* document() {
      try {
        yield* read();
      } catch (error) {
        dataError = error;
        stop.abort();
        throw error;
      }
    }
    try {
      // A supplier, so a retried upload (after a 5xx) reads the data afresh.
      const file = new InputFile(() => document(), fileName);
      await api.sendDocument(
        userId,
        file,
        { caption: "Everything I hold about you, as JSON. The README describes each field." },
        // grammY types the signal with an older AbortSignal polyfill; Node's is what it uses.
        stop.signal as unknown as Parameters<typeof api.sendDocument>[3],
      );
    } catch (error) {
      log.error({ user: hashId(userId), err: describeError(dataError ?? error) }, "export failed");
      await release();
      await api
        .sendMessage(
          userId,
          "Sorry, I could not prepare your export. Nothing was sent; please try /export again later.",
        )
        .catch(() => {});
    } finally {
      clearInterval(timer);
    }
  });
  return "started";
}

function tooSoon(ctx: BotContext, retryAt: Date): string {
  const minutes = Math.max(
    1,
    Math.ceil((retryAt.getTime() - ctx.services.clock.now().getTime()) / 60_000),
  );
  return `You can ask for one export every 10 minutes. Try again at ${formatTime(retryAt, ctx.viewer.timeZone)} (in ${minutes} min).`;
}

export async function exportInPrivate(ctx: BotContext, userId: number): Promise<void> {
  const result = await startExport(ctx, userId);
  // Once started, the upload's own work says what is happening, in order with the file.
  if (result !== "started") await ctx.reply(tooSoon(ctx, result));
}

/** /export: the file always goes to the private chat; a group only hears where it went. */
export function exportFeature(): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.chatType("private").command("export", (ctx) => exportInPrivate(ctx, ctx.from.id));
  composer.chatType(["group", "supergroup"]).command("export", async (ctx) => {
    const userId = ctx.from.id;
    const replyTo = {
      reply_parameters: { message_id: ctx.msg.message_id, allow_sending_without_reply: true },
    };
    if (!(await reachableInPrivate(privacyOp(ctx), ctx.services))) {
      await ctx.reply("I can only send your data in a private chat: start me there first.", {
        ...replyTo,
        reply_markup: new InlineKeyboard().url("Start a private chat", startLink(ctx, "export")),
      });
      return;
    }
    const result = await startExport(ctx, userId);
    if (result !== "started") {
      // To their private chat: through the outbox with this update's transaction, as every reply.
      await ctx.api.sendMessage(userId, tooSoon(ctx, result));
    }
    await ctx.reply("I have answered you in our private chat.", replyTo);
  });
  return composer;
}
