import { z } from "zod";
import {
  apiRouter,
  decodeCursor,
  encodeCursor,
  limitParam,
  parseWith,
  teamIdParam,
} from "#bot/http/route-helpers";
import { notFound } from "#bot/lib/errors";
import { PRIVACY_POLICY_VERSION } from "#bot/privacy/policy";
import type { Services } from "#bot/telegram/context";
import { teamMessages } from "#db/messages";
import { isMember, listMembers } from "#db/teams";

const messagesQuery = z.strictObject({
  limit: limitParam,
  cursor: z.string().max(200).optional(),
});
const messageCursor = z.strictObject({ date: z.iso.datetime(), id: z.number().int().positive() });

/** /api/teams/:id/…: for current members of the team only; anyone else gets a 404. */
export function teamRoutes(services: Services) {
  const { sql, vault, clock } = services;
  const routes = apiRouter();

  const memberOf = async (callerId: number, raw: string) => {
    const teamId = parseWith(teamIdParam, raw);
    if (!(await isMember(sql, teamId, callerId))) throw notFound("No such team.");
    return teamId;
  };

  routes.get("/teams/:id/members", async (c) => {
    const teamId = await memberOf(c.get("caller").id, c.req.param("id"));
    const members = await listMembers(sql, vault, teamId);
    return c.json({
      members: members.map((m) => ({ id: m.id, firstName: m.firstName, username: m.username })),
    });
  });

  routes.get("/teams/:id/messages", async (c) => {
    const callerId = c.get("caller").id;
    const teamId = await memberOf(callerId, c.req.param("id"));
    const query = parseWith(messagesQuery, c.req.query());
    const before = query.cursor === undefined ? null : decodeCursor(query.cursor, messageCursor);
    const page = await teamMessages(
      sql,
      vault,
      { rules: services.retention.rules, now: clock.now(), policyVersion: PRIVACY_POLICY_VERSION },
      teamId,
      callerId,
      {
        limit: query.limit,
        before: before ? { date: new Date(before.date), id: before.id } : null,
      },
    );
    const last = page.messages.at(-1);
    return c.json({
      messages: page.messages.map((m) => ({
        chatId: m.chatId,
        messageId: m.messageId,
        authorId: m.authorId,
        text: m.text,
        date: m.date,
      })),
      nextCursor:
        page.more && last ? encodeCursor({ date: last.date.toISOString(), id: last.id }) : null,
    });
  });

  return routes;
}
