import type { BotHarness } from "./bot.ts";
import { pressOn } from "./buttons.ts";
import { type TestUser, team } from "./updates.ts";

/**
 * What a person sees and does in chat, bound to a file's harness:
 * `const { lastText, toast, press, meetTeam } = chatWith(h);`
 */
export function chatWith(h: BotHarness) {
  return {
    /** The text of the latest message the bot sent or edited in the chat; "" when none. */
    lastText: (chatId: number): string => h.telegram.textsTo(chatId).at(-1) ?? "",

    /** The latest answer to a button press (`text`, `show_alert`), if there was one. */
    toast: () => h.telegram.callsOf("answerCallbackQuery").at(-1)?.payload,

    /** Only the text of the latest answer to a button press. */
    toastText: () => h.telegram.callsOf("answerCallbackQuery").at(-1)?.payload.text,

    /** `user` presses the button labelled `label` on the bot's latest message in `chatId`. */
    press: (user: TestUser, label: string, chatId: number = user.id) =>
      h.bot.send(pressOn(h.telegram, h.updates, user, chatId, label)),

    /** Makes the bot see people in the team chat, as it learns members in real life. */
    async meetTeam(...people: TestUser[]): Promise<void> {
      for (const person of people) await h.bot.send(h.updates.groupText(team, person, "hi"));
    },
  };
}
