import { formatDue } from "#bot/tasks/due";
import { skipOccurrence } from "#bot/tasks/recurring/series";
import type { BotContext } from "#bot/telegram/context";
import { REMINDER_OFFSETS, setReminderOffsets } from "#db/reminders";
import { findVisibleTask } from "./actions.ts";
import type { TaskAction } from "./callbacks.ts";
import { offsetLabel, renderCard, renderReminderChoices } from "./card.ts";
import { cardView, editInPlace } from "./chat.ts";
import type { ChatScope } from "./rules.ts";

type CardAction = Extract<TaskAction, { kind: "skip" | "reminders" | "toggle-reminder" | "card" }>;

/** The buttons under a card besides Done: skip an occurrence, choose reminders, go back. */
export async function handleCardAction(
  ctx: BotContext & { from: { id: number } },
  scope: ChatScope,
  action: CardAction,
): Promise<void> {
  const view = cardView(ctx, scope);
  const task = await findVisibleTask(ctx.db, ctx.services, ctx.from.id, action.taskId, scope);
  const remindable = task.status === "open" && task.dueAt !== null && task.dueHasTime;

  switch (action.kind) {
    case "card": {
      const card = renderCard(task, view);
      await editInPlace(ctx, card.text, card.keyboard);
      await ctx.answerCallbackQuery();
      return;
    }
    case "reminders": {
      const shown = remindable
        ? renderReminderChoices(task, view, ctx.from.id)
        : renderCard(task, view);
      await editInPlace(ctx, shown.text, shown.keyboard);
      await ctx.answerCallbackQuery(remindable ? {} : { text: "This task has no due time." });
      return;
    }
    case "toggle-reminder": {
      const offset = REMINDER_OFFSETS.find((known) => known === action.offset);
      if (!remindable || offset === undefined) {
        const card = renderCard(task, view);
        await editInPlace(ctx, card.text, card.keyboard);
        await ctx.answerCallbackQuery({ text: "This button no longer works." });
        return;
      }
      const current = new Set(task.reminderOffsets ?? []);
      const on = !current.has(offset);
      if (on) current.add(offset);
      else current.delete(offset);
      const offsets = [...current].sort((a, b) => a - b);
      await setReminderOffsets(ctx.db, task.id, offsets, view.now);
      const shown = renderReminderChoices({ ...task, reminderOffsets: offsets }, view, ctx.from.id);
      await editInPlace(ctx, shown.text, shown.keyboard);
      await ctx.answerCallbackQuery({
        text: `${offsetLabel(offset)}: ${on ? "reminder on" : "reminder off"}`,
      });
      return;
    }
    case "skip": {
      if (task.status !== "open" || task.repeat === null) {
        const card = renderCard(task, view);
        await editInPlace(ctx, card.text, card.keyboard);
        await ctx.answerCallbackQuery({ text: "Only an open repeating task can skip a date." });
        return;
      }
      const moved = await skipOccurrence(ctx.db, ctx.services, task, view.now);
      const card = renderCard(moved, view);
      await editInPlace(ctx, card.text, card.keyboard);
      const due = moved.dueAt
        ? formatDue({ at: moved.dueAt, hasTime: moved.dueHasTime }, view.now, view.timeZone)
        : "";
      await ctx.answerCallbackQuery({ text: `Skipped. #${moved.id} is now due ${due}.` });
      return;
    }
  }
}
