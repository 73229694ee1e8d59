import type { BotContext } from "#bot/telegram/context";
import type { TaskAction } from "./callbacks.ts";
import { offsetLabel, renderCard, renderReminderChoices } from "./card.ts";
import { cardView, editInPlace } from "./chat.ts";
import { chatOperation } from "./chat-operation.ts";
import { skipOccurrence, toggleReminder } from "./core/change.ts";
import { type ChatScope, canRemind, visibleTask } from "./core/visibility.ts";
import { formatDue } from "./due.ts";

type CardAction = Extract<TaskAction, { kind: "skip" | "reminders" | "toggle-reminder" | "card" }>;

/** The buttons under a card besides Done: skip an occurrence, choose reminders, go back. */
export async function handleCardAction(
  ctx: BotContext & { from: { id: number; first_name: string } },
  scope: ChatScope,
  action: CardAction,
): Promise<void> {
  const view = cardView(ctx, scope);
  const op = chatOperation(ctx, ctx.from, view.now);

  switch (action.kind) {
    case "card": {
      const card = renderCard(await visibleTask(op, action.taskId, scope), view);
      await editInPlace(ctx, card.text, card.keyboard);
      await ctx.answerCallbackQuery();
      return;
    }
    case "reminders": {
      const task = await visibleTask(op, action.taskId, scope);
      const remindable = canRemind(task);
      const shown = remindable
        ? renderReminderChoices(task, view, ctx.from.id)
        : renderCard(task, view);
      await editInPlace(ctx, shown.text, shown.keyboard);
      await ctx.answerCallbackQuery(remindable ? {} : { text: "This task has no due time." });
      return;
    }
    case "toggle-reminder": {
      const { task, offset, on } = await toggleReminder(op, action.taskId, action.offset, scope);
      const shown = renderReminderChoices(task, view, ctx.from.id);
      await editInPlace(ctx, shown.text, shown.keyboard);
      await ctx.answerCallbackQuery({
        text: `${offsetLabel(offset)}: ${on ? "reminder on" : "reminder off"}`,
      });
      return;
    }
    case "skip": {
      const moved = await skipOccurrence(op, action.taskId, scope);
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
