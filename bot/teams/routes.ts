import { z } from "zod";
import {
  type ApiContext,
  apiRouter,
  decodeCursor,
  encodeCursor,
  limitParam,
  parseWith,
  teamIdParam,
} from "#bot/http/route-helpers";
import type { Services } from "#bot/telegram/context";
import type { MembersJson, MessagesJson } from "./contract.ts";
import { type TeamsOperation, teamMembers, teamStoredMessages } from "./core.ts";

/** The parameters contract.ts's MessagesQuery describes. */
const messagesQuery = z.strictObject({
  limit: limitParam,
  cursor: z.string().max(200).optional(),
});
const messageCursor = z.strictObject({ date: z.iso.datetime(), id: z.number().int().positive() });

/** /api/teams/:id/…: for current members of the team only; anyone else gets a 404. */
export function teamRoutes(services: Services) {
  const routes = apiRouter();
  const op = (c: ApiContext): TeamsOperation => ({ ...c.get("unit"), effects: {} });

  routes.get("/teams/:id/members", async (c) => {
    const teamId = parseWith(teamIdParam, c.req.param("id"));
    const members = await teamMembers(op(c), services, teamId);
    return c.json({
      members: members.map((m) => ({ id: m.id, firstName: m.firstName, username: m.username })),
    } satisfies MembersJson);
  });

  routes.get("/teams/:id/messages", async (c) => {
    const teamId = parseWith(teamIdParam, c.req.param("id"));
    const query = parseWith(messagesQuery, c.req.query());
    const before = query.cursor === undefined ? null : decodeCursor(query.cursor, messageCursor);
    const page = await teamStoredMessages(op(c), services, {
      teamId,
      limit: query.limit,
      before: before ? { date: new Date(before.date), id: before.id } : null,
    });
    return c.json({
      messages: page.messages.map((m) => ({
        chatId: m.chatId,
        messageId: m.messageId,
        authorId: m.authorId,
        text: m.text,
        date: m.date.toISOString(),
      })),
      nextCursor: page.next
        ? encodeCursor({ date: page.next.date.toISOString(), id: page.next.id })
        : null,
    } satisfies MessagesJson);
  });

  return routes;
}
