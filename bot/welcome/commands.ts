import { Composer } from "grammy";
import type { BotCommand } from "grammy/types";
import { escapeHtml } from "#bot/lib/html";
import type { BotContext } from "#bot/telegram/context";

export const welcomeCommands: BotCommand[] = [
  { command: "start", description: "What this bot does" },
  { command: "help", description: "Every command in one list" },
];

export function commandList(commands: readonly BotCommand[]): string {
  return commands.map((c) => `/${c.command} — ${escapeHtml(c.description)}`).join("\n");
}

/** /start and /help. `commands` is every capability's list, so help never goes stale. */
export function welcomeFeature(commands: readonly BotCommand[]): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const list = commandList(commands);

  // A deep link (/start export) goes straight to its feature; a plain /start is welcomed
  // here and then passed on (privacy asks for consent the first time).
  composer.chatType("private").command("start", async (ctx, next) => {
    if (ctx.match === "") {
      await ctx.reply(
        [
          `Hi ${escapeHtml(ctx.from.first_name)}! I'm Task Tracker: your team's tasks, right in Telegram.`,
          "Add me to a group to share tasks with its members, or keep private ones here with me.",
          "",
          "🔒 I keep only what I need to run your tasks, and never post your private tasks into a group. /privacy has the details.",
          "",
          list,
        ].join("\n"),
        { parse_mode: "HTML" },
      );
    }
    await next();
  });

  composer
    .chatType(["group", "supergroup"])
    .command("start", (ctx) =>
      ctx.reply(
        "Hi! Create a task with /newtask, see the team's tasks with /tasks, or /help for more.",
      ),
    );

  composer.on("message:new_chat_members", async (ctx, next) => {
    if (ctx.message.new_chat_members.some((member) => member.id === ctx.me.id)) {
      await ctx.reply(
        [
          "Hi everyone! I'm Task Tracker.",
          "Create a task with /newtask (or reply /task to any message) and see the team's tasks with /tasks.",
          "I learn who is in the team from your messages here; make me an admin so I also notice when someone leaves.",
          "I keep the messages only of members who agree to it in a private chat with me (/consent); /privacy says what I keep and why.",
          "Start me in a private chat to hear when a task is assigned to you.",
        ].join("\n"),
      );
    }
    await next();
  });

  composer.command("help", (ctx) =>
    ctx.reply(
      [
        "<b>Task Tracker</b>",
        list,
        "",
        "One line works too: <code>/newtask Fix the login page @alice tomorrow !high</code>",
      ].join("\n"),
      { parse_mode: "HTML" },
    ),
  );

  return composer;
}
