import { Composer } from "grammy";
import type { BotCommand } from "grammy/types";
import { DateTime } from "luxon";
import { invalid } from "#bot/lib/errors";
import { renderCard } from "#bot/tasks/card";
import { cardView, chatScope, repliedCardTaskId, replyOptions } from "#bot/tasks/chat";
import { chatOperation } from "#bot/tasks/chat-operation";
import { type RepeatChange, setRepeat } from "#bot/tasks/core/change";
import { visibleTask } from "#bot/tasks/core/visibility";
import type { BotContext } from "#bot/telegram/context";
import { describeRepeat } from "./describe.ts";
import { parseRepeat } from "./parse.ts";

export const repeatCommands: BotCommand[] = [
  { command: "repeat", description: "Make a task repeat: /repeat 12 every monday, or off" },
];

const USAGE =
  "Send /repeat, the task's number and a rule: /repeat 12 every monday, /repeat 12 weekdays, /repeat 12 monthly on the 1st, /repeat 12 every 2 weeks after done. /repeat 12 off stops it. Or reply /repeat every monday to the task's card.";

/**
 * /repeat sets, changes or stops a task's rule (the task core decides whether it may: only
 * an open task's rule changes). A change applies from the next occurrence: the current due
 * date stays, and completed occurrences keep the rule they had.
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
    const op = chatOperation(ctx, ctx.from, view.now);
    const phrase = (numbered ? (numbered[2] ?? "") : ctx.match).trim();
    if (phrase === "") {
      const task = await visibleTask(op, Number(taskId), scope);
      await ctx.reply(
        task.repeat
          ? `#${task.id} repeats ${describeRepeat(task.repeat)}. Change it with /repeat ${task.id} and a rule, or stop it with /repeat ${task.id} off.`
          : `#${task.id} does not repeat. ${USAGE}`,
      );
      return;
    }

    const stop = /^(?:off|never|stop|none)$/i.test(phrase);
    // "monthly" means the day of the month the task is due (or today), in the writer's zone.
    const change: RepeatChange = stop
      ? null
      : (dueAt) => {
          const dayOfMonth = DateTime.fromJSDate(dueAt ?? view.now, { zone: view.timeZone }).day;
          const parsed = parseRepeat(phrase, dayOfMonth);
          if (!parsed.ok) throw invalid(parsed.reason);
          return parsed.repeat;
        };
    const { task, previous } = await setRepeat(op, Number(taskId), change, scope);
    if (stop || task.repeat === null) {
      await ctx.reply(`#${task.id} no longer repeats. It stays due as it was.`);
      return;
    }
    const card = renderCard(task, view);
    const verb = previous ? "From the next occurrence on, it repeats" : "It repeats";
    await ctx.reply(
      `${verb} ${describeRepeat(task.repeat)}.\n\n${card.text}`,
      replyOptions(ctx, card),
    );
  });

  return composer;
}
