import type { ConversationStorage } from "@grammyjs/conversations";
import { deleteConversation, readConversation, writeConversation } from "#db/conversations";
import type { BaseContext } from "./context.ts";

/**
 * Conversation state in the update's own transaction (ctx.db), sealed at rest: a form's step
 * and the reply it caused commit together, and a crash loses neither. @grammyjs/storage-psql
 * cannot join a postgres.js transaction (see README), hence this adapter. `version` changes
 * whenever a conversation's steps change, so an old log is never replayed into new code.
 */
export function conversationStorage(): ConversationStorage<BaseContext, never> {
  return {
    type: "context",
    version: 1,
    adapter: {
      read: async (ctx) => {
        const key = conversationKey(ctx);
        return key
          ? ((await readConversation(ctx.db, ctx.services.vault, key)) as never)
          : undefined;
      },
      write: async (ctx, state) => {
        const key = conversationKey(ctx);
        if (key) {
          await writeConversation(ctx.db, ctx.services.vault, key, state, ctx.services.clock.now());
        }
      },
      delete: async (ctx) => {
        const key = conversationKey(ctx);
        if (key) await deleteConversation(ctx.db, key);
      },
    },
  };
}

/** Forgets the sender's form in this chat: a failed step must not replay into the same failure. */
export async function dropConversation(ctx: BaseContext): Promise<void> {
  const key = conversationKey(ctx);
  if (key) await deleteConversation(ctx.db, key);
}

/** Conversation state is per member per chat, so group members each run their own form. */
function conversationKey(ctx: BaseContext): { chatId: number; userId: number } | undefined {
  if (ctx.chatId === undefined || !ctx.from) return undefined;
  return { chatId: ctx.chatId, userId: ctx.from.id };
}
