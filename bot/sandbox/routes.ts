import { existsSync, readFileSync } from "node:fs";
import { type Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { ApiError, errorBody, limitApiBody, parseWith } from "#bot/http/route-helpers";
import type { Clock } from "#bot/lib/clock";
import { invalid, NotFound } from "#bot/lib/errors";
import type { MenuButton } from "./emulator/rules.ts";
import type { BotApiEmulator, ChatEvent } from "./emulator/server.ts";
import { signInitData } from "./init-data.ts";
import { type SandboxMessage, toSandboxMessage } from "./messages.ts";
import {
  chatOf,
  personById,
  SANDBOX_GROUP,
  SANDBOX_PEOPLE,
  type SandboxPerson,
  telegramUser,
} from "./people.ts";

export interface SandboxRoutesDeps {
  emulator: BotApiEmulator;
  botToken: string;
  botUsername: () => string;
  clock: Clock;
  /** Empties the database and the chats, and seeds the people and the group again. */
  reset: () => Promise<void>;
  /** Fills the group with a week of demo data (refused, as a conflict, unless it is empty). */
  demo: () => Promise<void>;
  /** The built Mini App, where the sandbox page (sandbox.html) is built too. */
  miniAppDist: string;
  /** How often an open event stream hears a comment, so proxies and browsers keep it open. */
  heartbeatMs?: number;
}

export interface SandboxRoutes {
  routes: Hono;
  /** Ends the open event streams, so the server can stop. */
  closeStreams(): void;
  /** Event streams open now (each ends when its client goes). */
  openStreams(): number;
}

const personId = z.coerce
  .number({ error: "must be the id of one of the sandbox's people" })
  .int({ error: "must be the id of one of the sandbox's people" })
  .refine((id) => personById(id) !== undefined, {
    error: "must be the id of one of the sandbox's people",
  });
const chatId = z.coerce
  .number({ error: "must be a chat id" })
  .int({ error: "must be a chat id" })
  .refine(Number.isSafeInteger, { error: "must be a chat id" });
const messageId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

const asQuery = z.object({ as: personId });
const chatParams = z.object({ chatId });
const writeBody = z.strictObject({
  as: personId,
  text: z.string().trim().min(1, { error: "must not be empty" }).max(4096),
  replyTo: messageId.optional(),
});
const pressBody = z.strictObject({
  as: personId,
  messageId,
  data: z.string().min(1).max(64),
});
const fileParams = z.object({ fileId: z.string().regex(/^file-\d{1,12}$/, "not a file id") });

const DEFAULT_HEARTBEAT_MS = 15_000;

/**
 * The sandbox's HTTP API (docs/sandbox.md): the page at /sandbox drives the made-up people
 * through it; the bot on the other side sees only Telegram updates, from the emulator.
 */
export function sandboxRoutes(deps: SandboxRoutesDeps): SandboxRoutes {
  const { emulator } = deps;
  const routes = new Hono();
  const streams = new Set<() => void>();

  const person = (c: Context): SandboxPerson => {
    const { as } = parseWith(asQuery, { as: c.req.query("as") });
    return personOf(as);
  };
  const visibleChat = (who: SandboxPerson, id: number) => {
    const chat = chatOf(who, id);
    // Someone else's private chat answers as one that does not exist.
    if (!chat) throw new NotFound("No such chat.");
    return chat;
  };
  const messagesOf = (id: number): SandboxMessage[] =>
    emulator.chatMessages(id).map(toSandboxMessage);

  routes.get("/sandbox", (c) => {
    const page = `${deps.miniAppDist}/sandbox.html`;
    if (!existsSync(page)) {
      return c.json(
        errorBody("not_built", "The sandbox page is not built: run npm run build."),
        404,
      );
    }
    c.header("Cache-Control", "no-cache");
    return c.html(readFileSync(page, "utf8"));
  });

  routes.get("/sandbox/api/state", (c) =>
    c.json({
      people: SANDBOX_PEOPLE.map(({ id, firstName, username }) => ({ id, firstName, username })),
      chats: [
        { id: SANDBOX_GROUP.id, type: "supergroup", title: SANDBOX_GROUP.title, appButton: null },
        ...SANDBOX_PEOPLE.map((p) => ({
          id: p.id,
          type: "private",
          title: p.firstName,
          appButton: appButtonOf(emulator.menuButton(p.id)),
        })),
      ],
      commands: emulator.commands(),
      botUsername: deps.botUsername(),
    }),
  );

  routes.get("/sandbox/api/chats/:chatId/messages", (c) => {
    const who = person(c);
    const chat = visibleChat(who, parseWith(chatParams, c.req.param()).chatId);
    return c.json({ messages: messagesOf(chat.id) });
  });

  routes.post("/sandbox/api/chats/:chatId/messages", limitApiBody, async (c) => {
    const { chatId: id } = parseWith(chatParams, c.req.param());
    const body = parseWith(writeBody, await jsonBody(c));
    const who = personOf(body.as);
    const chat = visibleChat(who, id);
    if (body.replyTo !== undefined && !messagesOf(chat.id).some((m) => m.id === body.replyTo)) {
      throw invalid("replyTo: no such message in this chat.");
    }
    const { message, delivered } = emulator.write({
      chat,
      from: telegramUser(who),
      text: body.text,
      ...(body.replyTo === undefined ? {} : { replyTo: body.replyTo }),
    });
    // The bot answers in its own time; the page hears it as events.
    void delivered;
    const stored = emulator.chatMessages(chat.id).find((m) => m.message === message);
    return c.json({ message: stored ? toSandboxMessage(stored) : null }, 202);
  });

  routes.post("/sandbox/api/chats/:chatId/press", limitApiBody, async (c) => {
    const { chatId: id } = parseWith(chatParams, c.req.param());
    const body = parseWith(pressBody, await jsonBody(c));
    const who = personOf(body.as);
    const chat = visibleChat(who, id);
    const pressed = emulator
      .chatMessages(chat.id)
      .find((m) => m.message.message_id === body.messageId);
    if (!pressed) throw new NotFound("No such message.");
    const hasButton = toSandboxMessage(pressed).buttons.some((row) =>
      row.some((button) => button.data === body.data),
    );
    // Telegram delivers presses of the buttons a message has, nothing else.
    if (!hasButton) throw invalid("data: the message has no button with this data.");
    void emulator.press({
      chat,
      from: telegramUser(who),
      message: pressed.message,
      data: body.data,
    });
    return c.body(null, 202);
  });

  routes.get("/sandbox/api/events", (c) => {
    const who = person(c);
    return streamSSE(c, async (stream) => {
      const seen = (event: ChatEvent) => chatOf(who, event.chatId) !== undefined;
      const stopFollowing = emulator.onChatEvent((event) => {
        if (!seen(event)) return;
        const found =
          event.kind === "delete"
            ? undefined
            : emulator
                .chatMessages(event.chatId)
                .find((m) => m.message.message_id === event.messageId);
        const data = {
          chatId: event.chatId,
          messageId: event.messageId,
          ...(found ? { message: toSandboxMessage(found) } : {}),
        };
        void stream.writeSSE({ event: event.kind, data: JSON.stringify(data) });
      });
      // Said once the person follows the chats, so a client that has read it misses nothing.
      await stream.write(": following\n\n");
      const heartbeat = setInterval(
        () => void stream.write(": heartbeat\n\n"),
        deps.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
      );
      let end = () => {};
      await new Promise<void>((resolve) => {
        end = resolve;
        streams.add(resolve);
        stream.onAbort(resolve);
      });
      streams.delete(end);
      clearInterval(heartbeat);
      stopFollowing();
    });
  });

  routes.get("/sandbox/api/init-data", (c) => {
    const who = person(c);
    return c.json({ initData: signInitData(deps.botToken, who, deps.clock.now()) });
  });

  routes.post("/sandbox/api/reset", async (c) => {
    await deps.reset();
    return c.body(null, 202);
  });

  routes.post("/sandbox/api/demo", async (c) => {
    await deps.demo();
    return c.body(null, 202);
  });

  routes.get("/sandbox/files/:fileId", (c) => {
    const { fileId } = parseWith(fileParams, c.req.param());
    const file = emulator.file(fileId);
    if (!file) throw new NotFound("No such file.");
    const ascii = file.fileName.replace(/[^A-Za-z0-9._-]/g, "_");
    return c.body(new Uint8Array(file.content), 200, {
      "Content-Type": file.fileName.endsWith(".json")
        ? "application/json; charset=utf-8"
        : "application/octet-stream",
      "Content-Disposition": `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.fileName)}`,
    });
  });

  return {
    routes,
    closeStreams: () => {
      for (const end of [...streams]) end();
      streams.clear();
    },
    openStreams: () => streams.size,
  };
}

/**
 * The text of a private chat's menu button when it opens the Mini App; null when it lists the
 * commands (as in groups, where Telegram shows no Mini App menu button).
 */
function appButtonOf(button: MenuButton): string | null {
  return button.type === "web_app" ? button.text : null;
}

function personOf(id: number): SandboxPerson {
  const found = personById(id);
  if (!found) throw invalid("as: must be the id of one of the sandbox's people");
  return found;
}

async function jsonBody(c: Context): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new ApiError(415, "unsupported_media_type", "Send the body as application/json.");
  }
  try {
    return JSON.parse(await c.req.text());
  } catch {
    throw invalid("The body is not valid JSON.");
  }
}
