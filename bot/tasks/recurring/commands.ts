import { Composer } from "grammy";
import type { BotCommand } from "grammy/types";
import { DateTime } from "luxon";
import { invalid } from "#bot/lib/errors";
import { findVisibleTask } from "#bot/tasks/actions";
import { renderCard } from "#bot/tasks/card";
import { cardView, chatScope, repliedCardTaskId, replyOptions } from "#bot/tasks/chat";
import type { BotContext } from "#bot/telegram/context";
import { setRepeat } from "#db/repeat";
import { getTask, updateTask } from "#db/tasks";
import { parseRepeat } from "./parse.ts";
import { describeRepeat } from "./rule.ts";
import { startSeries } from "./series.ts";

export const repeatCommands: BotCommand[] = [
  { command: "repeat", description: "Make a task repeat: /repeat 12 every monday, or off" },
];

const USAGE =
  "Send /repeat, the task's number and a rule: /repeat 12 every monday, /repeat 12 weekdays, /repeat 12 monthly on the 1st, /repeat 12 every 2 weeks after done. /repeat 12 off stops it. Or reply /repeat every monday to the task's card.";

/**
 * /repeat sets, changes or stops a task's rule. A change applies from the next occurrence:
 * the current due date stays, and completed occurrences keep the rule they had.
 */
export function recurringFeature(): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  composer.command("repeat", async (ctx) => {
    const scope = chatScope(ctx);
    if (!scope || !ctx.from) return;
    // "/repeat 12 every monday", or "/repeat every monday" in reply to the task's card.
    const numbered = /^#?(\d{1,15})(?:\s+(.*))?$/s.exec(ctx.match.trim());
    const taskId = numbered?.[1] ?? repliedCardTaskId(ctx);
    if (taskId === undefined) {
      await ctx.reply(USAGE);
      return;
    }
    const view = cardView(ctx, scope);
    const task = await findVisibleTask(ctx.db, ctx.services, ctx.from.id, Number(taskId), scope);
    const phrase = (numbered ? (numbered[2] ?? "") : ctx.match).trim();
    if (phrase === "") {
      await ctx.reply(
        task.repeat
          ? `#${task.id} repeats ${describeRepeat(task.repeat)}. Change it with /repeat ${task.id} and a rule, or stop it with /repeat ${task.id} off.`
          : `#${task.id} does not repeat. ${USAGE}`,
      );
      return;
    }
    if (task.status !== "open") throw invalid(`#${task.id} is done. Reopen it to make it repeat.`);

    if (/^(?:off|never|stop|none)$/i.test(phrase)) {
      await setRepeat(ctx.db, task.id, null, view.now);
      await ctx.reply(`#${task.id} no longer repeats. It stays due as it was.`);
      return;
    }
    const dayOfMonth = DateTime.fromJSDate(task.dueAt ?? view.now, { zone: view.timeZone }).day;
    const parsed = parseRepeat(phrase, dayOfMonth);
    if (!parsed.ok) throw invalid(parsed.reason);
    const current = task.dueAt ? { dueAt: task.dueAt, dueHasTime: task.dueHasTime } : null;
    const { repeat, due } = startSeries(parsed.repeat, current, view.timeZone, view.now);
    if (due.dueAt.getTime() !== task.dueAt?.getTime() || due.dueHasTime !== task.dueHasTime) {
      await updateTask(ctx.db, task.id, { dueAt: due.dueAt, dueHasTime: due.dueHasTime }, view.now);
    }
    await setRepeat(ctx.db, task.id, repeat, view.now);
    const updated = (await getTask(ctx.db, ctx.services, task.id)) ?? task;
    const card = renderCard(updated, view);
    const verb = task.repeat ? "From the next occurrence on, it repeats" : "It repeats";
    await ctx.reply(
      `${verb} ${describeRepeat(repeat.rule)}.\n\n${card.text}`,
      replyOptions(ctx, card),
    );
  });

  return composer;
}
