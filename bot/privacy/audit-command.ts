import { Composer } from "grammy";
import { escapeHtml } from "#bot/lib/html";
import { formatMoment } from "#bot/lib/moments";
import type { BotContext } from "#bot/telegram/context";
import { privacyOp } from "./chat.ts";
import { auditLog, ERASED_ADMIN } from "./core/audit.ts";

const SHOWN = 20;

/** /audit for bot admins: the latest entries of the audit trail (it holds no personal data). */
export function auditFeature(): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command("audit", async (ctx) => {
    if (!ctx.from || !ctx.services.adminIds.has(ctx.from.id)) {
      await ctx.reply("Admins only.");
      return;
    }
    if (ctx.chat.type !== "private") {
      await ctx.reply("Ask me for /audit in our private chat.");
      return;
    }
    const entries = await auditLog(privacyOp(ctx), { limit: SHOWN });
    if (entries.length === 0) {
      await ctx.reply("The audit trail is empty.");
      return;
    }
    const lines = entries.map((entry) => {
      const counts = Object.entries(entry.counts)
        .map(([name, value]) => `${name}=${value}`)
        .join(" ");
      return [
        formatMoment(entry.at, ctx.viewer.timeZone),
        `<b>${escapeHtml(entry.action)}</b>`,
        entry.actor === ERASED_ADMIN
          ? "by an erased admin"
          : entry.actor
            ? `by ${escapeHtml(entry.actor)}`
            : "",
        entry.target && entry.target !== entry.actor ? `on ${escapeHtml(entry.target)}` : "",
        escapeHtml(counts),
      ]
        .filter(Boolean)
        .join(" · ");
    });
    await ctx.reply(
      [`<b>Audit trail</b>: the latest ${entries.length}, newest first`, "", ...lines].join("\n"),
      { parse_mode: "HTML" },
    );
  });
  return composer;
}
