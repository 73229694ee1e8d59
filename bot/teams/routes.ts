import { z } from "zod";
import {
  type ApiContext,
  apiRouter,
  conditionalJson,
  decodeCursor,
  encodeCursor,
  limitParam,
  parseWith,
  teamIdParam,
} from "#bot/http/route-helpers";
import type { Services } from "#bot/telegram/context";
import { type TeamsOperation, teamMembersAsJson, teamStoredMessagesAsJson } from "./core.ts";

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
    const members = await teamMembersAsJson(op(c), services, teamId);
    return conditionalJson(c, members.etag, members.body);
  });

  routes.get("/teams/:id/messages", async (c) => {
    const teamId = parseWith(teamIdParam, c.req.param("id"));
    const query = parseWith(messagesQuery, c.req.query());
    const before = query.cursor === undefined ? null : decodeCursor(query.cursor, messageCursor);
    const page = await teamStoredMessagesAsJson(
      op(c),
      services,
      {
        teamId,
        limit: query.limit,
        before: before ? { date: new Date(before.date), id: before.id } : null,
      },
      (last) => encodeCursor(last),
    );
    return conditionalJson(c, page.etag, page.body);
  });

  return routes;
}
