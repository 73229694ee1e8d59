import { createConversation } from "@grammyjs/conversations";
import { Composer } from "grammy";
import type { BotCommand } from "grammy/types";
import { invalid } from "#bot/lib/errors";
import type { BotContext } from "#bot/telegram/context";
import { decodeTaskAction, isNewTaskFormButton, type ListRef, TASK_CALLBACK } from "./callbacks.ts";
import { type CardView, PAGE_SIZE, type Rendered, renderCard, renderList } from "./card.ts";
import { handleCardAction } from "./card-actions.ts";
import {
  cardView,
  chatScope,
  chatTitle,
  editInPlace,
  repliedCardTaskId,
  replyOptions,
} from "./chat.ts";
import { chatOperation } from "./chat-operation.ts";
import { setTaskStatus } from "./core/change.ts";
import { createTask } from "./core/create.ts";
import { listChatTasks } from "./core/list.ts";
import type { TaskView } from "./core/operation.ts";
import type { ChatScope } from "./core/visibility.ts";
import { NEW_TASK, NEW_TASK_IDLE_MS, newTaskConversation } from "./new-task.ts";

/** Which updates the form may answer: the bot reads form state only for those. */
export { mayAnswerAForm } from "./new-task.ts";

import { parseOneLineTask, splitMessageIntoTask } from "./parse.ts";

export const taskCommands: BotCommand[] = [
  { command: "newtask", description: "Create a task step by step, or in one line" },
  { command: "tasks", description: "Open tasks (/tasks done: recently completed)" },
  { command: "done", description: "Mark a task done: /done 12, or reply /done to its card" },
  { command: "task", description: "Reply to a message to turn it into a task" },
  { command: "cancel", description: "Leave the task you are creating" },
];

async function renderChatList(ctx: BotContext, scope: ChatScope, list: ListRef): Promise<Rendered> {
  const from = ctx.from;
  if (!from) throw invalid("I can't tell who is asking.");
  const { page, pageNumber } = await listChatTasks(chatOperation(ctx, from), scope, {
    status: list.status,
    page: list.page,
    pageSize: PAGE_SIZE,
  });
  const heading = scope.kind === "team" ? chatTitle(ctx) : "yours";
  const shown = { ...list, page: pageNumber };
  return withAppButton(ctx, scope, renderList(page, shown, cardView(ctx, scope), heading));
}

/**
 * "Open app" under a list: in private chat the Mini App itself; in a group a t.me link
 * whose start parameter names the team (web app buttons only work in private chats). The
 * parameter only picks the team to show; the API still checks membership.
 */
function withAppButton(ctx: BotContext, scope: ChatScope, rendered: Rendered): Rendered {
  const url = ctx.services.miniAppUrl;
  if (!url) return rendered;
  const keyboard = rendered.keyboard.row();
  if (scope.kind === "private") keyboard.webApp("Open app", url);
  else keyboard.url("Open app", `https://t.me/${ctx.me.username}?startapp=team_${scope.teamId}`);
  return { ...rendered, keyboard };
}

/**
 * Posts a new task's card; in a group it becomes the card later changes edit, once the
 * outbox has sent it and written back the id Telegram gave it.
 */
async function postCard(ctx: BotContext, task: TaskView, view: CardView): Promise<void> {
  const card = renderCard(task, view);
  const chatId = ctx.chatId;
  if (chatId === undefined) return;
  ctx.outgoing.queue({
    chatId,
    method: "sendMessage",
    text: card.text,
    params: { ...replyOptions(ctx, card) },
    ...(task.teamId === null ? {} : { writeBack: { groupCardOf: task.id } }),
  });
}

async function createFromLine(ctx: BotContext, scope: ChatScope, line: string): Promise<void> {
  const from = ctx.from;
  if (!from) return;
  const view = cardView(ctx, scope);
  const parsed = parseOneLineTask(line, view.now, view.timeZone);
  if (!parsed.ok) throw invalid(parsed.reason);
  const op = chatOperation(ctx, from, view.now);
  const task = await createTask(op, {
    teamId: scope.kind === "team" ? scope.teamId : null,
    title: parsed.task.title,
    priority: parsed.task.priority ?? "normal",
    ...(parsed.task.assigneeUsername ? { assigneeName: `@${parsed.task.assigneeUsername}` } : {}),
    due: parsed.task.due ? { at: parsed.task.due.at, hasTime: parsed.task.due.hasTime } : null,
    repeat: parsed.task.repeat ?? null,
  });
  await postCard(ctx, task, view);
}

/** The /newtask form; installed where form state is read (see telegram/bot.ts). */
export function newTaskForm() {
  return createConversation(newTaskConversation, {
    id: NEW_TASK,
    maxMillisecondsToWait: NEW_TASK_IDLE_MS,
  });
}

/** Tasks: create (guided, one line, from a reply), list with paging, complete and reopen. */
export function tasksFeature(): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  composer.command("newtask", async (ctx) => {
    const scope = chatScope(ctx);
    if (!scope) return;
    const line = ctx.match.trim();
    if (line !== "") return createFromLine(ctx, scope, line);
    if (ctx.conversation.active(NEW_TASK) > 0) {
      await ctx.reply("You are already creating a task: answer the question above, or /cancel.");
      return;
    }
    await ctx.conversation.enter(NEW_TASK);
  });

  composer.command("cancel", (ctx) => ctx.reply("There is nothing to cancel."));

  composer.command("task", async (ctx) => {
    const scope = chatScope(ctx);
    const from = ctx.from;
    if (!scope || !from) return;
    const source = ctx.message?.reply_to_message;
    if (!source) {
      await ctx.reply("Reply /task to a message to turn it into a task.");
      return;
    }
    const text = source.text ?? source.caption;
    if (!text?.trim()) throw invalid("That message has no text to make a task from.");
    const { title, description } = splitMessageIntoTask(text);
    const view = cardView(ctx, scope);
    const op = chatOperation(ctx, from, view.now);
    const task = await createTask(op, {
      teamId: scope.kind === "team" ? scope.teamId : null,
      title,
      description,
      source: {
        chatId: ctx.chat.id,
        messageId: source.message_id,
        date: new Date(source.date * 1000),
        // Whoever wrote it, consenting or not: their export lists the task, their /delete
        // unlinks it (the privacy notice says so). A bot or an anonymous admin is nobody.
        authorId: source.from && !source.from.is_bot ? source.from.id : null,
      },
    });
    await postCard(ctx, task, view);
  });

  composer.command("tasks", async (ctx) => {
    const scope = chatScope(ctx);
    if (!scope) return;
    const arg = ctx.match.trim().toLowerCase();
    if (arg !== "" && arg !== "done") {
      await ctx.reply("Use /tasks for open tasks or /tasks done for recently completed ones.");
      return;
    }
    const rendered = await renderChatList(ctx, scope, {
      status: arg === "done" ? "done" : "open",
      page: 0,
    });
    await ctx.reply(rendered.text, replyOptions(ctx, rendered));
  });

  composer.command("done", async (ctx) => {
    const scope = chatScope(ctx);
    const from = ctx.from;
    if (!scope || !from) return;
    const id =
      /^#?(\d{1,15})$/.exec(ctx.match.trim())?.[1] ??
      (ctx.match.trim() === "" ? repliedCardTaskId(ctx) : undefined);
    if (!id) {
      await ctx.reply(
        "Which task? Send /done and its number, for example /done 12, or reply /done to a task card.",
      );
      return;
    }
    const { task, changed, next } = await setTaskStatus(
      chatOperation(ctx, from),
      Number(id),
      "done",
      scope,
    );
    const card = renderCard(task, cardView(ctx, scope), next);
    await ctx.reply(changed ? card.text : `Already done.\n\n${card.text}`, replyOptions(ctx, card));
  });

  composer.callbackQuery(TASK_CALLBACK, async (ctx) => {
    const scope = chatScope(ctx);
    const action = decodeTaskAction(ctx.callbackQuery.data);
    if (!scope || !action) {
      await ctx.answerCallbackQuery({ text: "This button no longer works." });
      return;
    }
    if (action.kind === "page") {
      const rendered = await renderChatList(ctx, scope, action.list);
      await editInPlace(ctx, rendered.text, rendered.keyboard);
      await ctx.answerCallbackQuery();
      return;
    }
    if (action.kind !== "status" && action.kind !== "list-status") {
      await handleCardAction(ctx, scope, action);
      return;
    }
    const { task, changed, next } = await setTaskStatus(
      chatOperation(ctx, ctx.from),
      action.taskId,
      action.status,
      scope,
    );
    const rendered =
      action.kind === "list-status"
        ? await renderChatList(ctx, scope, action.list)
        : renderCard(task, cardView(ctx, scope), next);
    await editInPlace(ctx, rendered.text, rendered.keyboard);
    const verb = action.status === "done" ? "done" : "reopened";
    const then = next && changed ? ` · next #${next.id}` : "";
    await ctx.answerCallbackQuery({
      text: changed ? `#${task.id} ${verb}${then}` : `#${task.id} was already ${verb}`,
    });
  });

  // Buttons of a /newtask form that has ended, or that belongs to another member.
  composer.callbackQuery(isNewTaskFormButton, (ctx) =>
    ctx.answerCallbackQuery({ text: "This form has ended or belongs to someone else." }),
  );

  return composer;
}
