import { z } from "zod";

/**
 * The privacy API's JSON (/api/me, its consent, export and erasure; /api/admin/audit),
 * shared with the Mini App (`import type`): request bodies as zod schemas, answers as
 * types with dates as ISO strings. Imports nothing but zod.
 */

const TIME_ZONE_HINT = "must be a time zone name such as Europe/Kyiv";

/** PATCH /api/me. The server checks the name and answers with its canonical spelling. */
export const profileBody = z.strictObject({
  timezone: z
    .string({ error: TIME_ZONE_HINT })
    .trim()
    .min(1, { error: TIME_ZONE_HINT })
    .max(64, { error: TIME_ZONE_HINT }),
});
export type ProfileBody = z.input<typeof profileBody>;

/** PUT /api/me/consent. */
export const consentBody = z.strictObject({
  granted: z.boolean({ error: "must be true or false" }),
});
export type ConsentBody = z.input<typeof consentBody>;

/** DELETE /api/me: the body says the person means it. */
export const eraseBody = z.strictObject({
  confirm: z.literal("DELETE", { error: 'must be "DELETE", to show you mean it' }),
});
export type EraseBody = z.input<typeof eraseBody>;

/** PUT /api/me/consent, and `consent` in MeJson. */
export interface ConsentJson {
  /** Given to the current notice (consent to an older one does not count). */
  granted: boolean;
  policyVersion: number | null;
  at: string | null;
}

/** The caller as the service knows them (the core returns the same shape). */
export interface ProfileJson {
  id: number;
  firstName: string;
  lastName: string | null;
  username: string | null;
  languageCode: string | null;
  /** IANA name: UTC until the person sets one. */
  timezone: string;
}

/** GET and PATCH /api/me. */
export interface MeJson {
  user: ProfileJson;
  consent: ConsentJson;
  isAdmin: boolean;
  teams: Array<{ id: number; title: string }>;
}

/** DELETE /api/me: what went. */
export interface ErasedJson {
  deleted: {
    messages: number;
    consents: number;
    privateTasks: number;
    teamTasksUnlinked: number;
    tasksFromMessagesUnlinked: number;
    memberships: number;
    formStates: number;
  };
}

/** GET /api/admin/audit?limit=: the latest entries, newest first (no personal data). */
export interface AuditJson {
  entries: Array<{
    at: string;
    action: string;
    /** A keyed hash of who acted, "erased-admin", or null for the schedule. */
    actor: string | null;
    target: string | null;
    counts: Record<string, number>;
  }>;
}
