import { z } from "zod";

/**
 * The retention API's JSON, shared with the Mini App (`import type`): request bodies as
 * zod schemas, answers as types. Imports nothing but zod.
 */

/** PUT /api/admin/retention. The bounds are the server's (RetentionJson.minDays/maxDays). */
export const retentionBody = z.strictObject({
  days: z.number({ error: "must be a whole number of days" }),
});
export type RetentionBody = z.input<typeof retentionBody>;

/** PUT /api/admin/teams/:id/retention; null: the group follows the global period again. */
export const teamRetentionBody = z.strictObject({
  days: z.number({ error: "must be a whole number of days, or null" }).nullable(),
});
export type TeamRetentionBody = z.input<typeof teamRetentionBody>;

/** GET and PUT /api/admin/retention. */
export interface RetentionJson {
  /** The global period that applies. */
  days: number;
  minDays: number;
  maxDays: number;
  /** Groups with their own period. */
  teams: Array<{ teamId: number; days: number }>;
}

/** GET and PUT /api/admin/teams/:id/retention: the group's own setting, null if none. */
export interface TeamRetentionJson {
  teamId: number;
  days: number | null;
}
