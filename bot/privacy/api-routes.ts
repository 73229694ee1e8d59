import { z } from "zod";
import {
  apiRouter,
  type Caller,
  limitParam,
  parseWith,
  readBody,
  tooManyRequests,
} from "#bot/http/route-helpers";
import { Invalid, notFound } from "#bot/lib/errors";
import { describeError } from "#bot/lib/logger";
import { canonicalTimeZone } from "#bot/reminders/timezone";
import type { Services } from "#bot/telegram/context";
import { recentAudit } from "#db/audit";
import { latestConsent } from "#db/consents";
import { exportTeams, releaseExportSlot } from "#db/export";
import { setTimezone } from "#db/reminders";
import { getUser } from "#db/users";
import { changeConsent } from "./consents.ts";
import { eraseEverything } from "./erase-command.ts";
import { claimExport, exportDocument, exportFileName } from "./export.ts";
import { PRIVACY_POLICY_VERSION } from "./policy.ts";

const consentBody = z.strictObject({ granted: z.boolean({ error: "must be true or false" }) });
const profileBody = z.strictObject({
  timezone: z
    .string({ error: "must be a time zone name such as Europe/Kyiv" })
    .trim()
    .min(1, { error: "must be a time zone name such as Europe/Kyiv" })
    .max(64, { error: "must be a time zone name such as Europe/Kyiv" })
    .transform((name, ctx) => {
      const zone = canonicalTimeZone(name);
      if (zone !== null) return zone;
      ctx.issues.push({
        code: "custom",
        input: name,
        message: `unknown time zone "${name}": use an IANA name such as Europe/Kyiv or America/New_York`,
      });
      return z.NEVER;
    }),
});
const eraseBody = z.strictObject({
  confirm: z.literal("DELETE", { error: 'must be "DELETE", to show you mean it' }),
});

function consentJson(record: { granted: boolean; policyVersion: number; at: Date } | null) {
  if (!record) return { granted: false, policyVersion: null, at: null };
  return {
    // Consent to an older notice does not count: the person is asked again.
    granted: record.granted && record.policyVersion === PRIVACY_POLICY_VERSION,
    policyVersion: record.policyVersion,
    at: record.at,
  };
}

/**
 * /api/me: the caller's profile and time zone, consent, export and erasure, with the same
 * records and limits as /timezone, /consent, /export and /delete in the chat.
 */
export function meRoutes(app: Services) {
  const { sql, vault, clock, log, hashId, people } = app;
  const routes = apiRouter();

  const meJson = async (caller: Caller) => {
    const user = await getUser(sql, vault, caller.id);
    if (!user) throw notFound();
    const consent = await latestConsent(sql, caller.id);
    const teams = await exportTeams(sql, caller.id);
    return {
      user: {
        id: user.id,
        firstName: user.firstName,
        lastName: user.lastName,
        username: user.username,
        languageCode: user.languageCode,
        timezone: user.timezone,
      },
      consent: consentJson(consent),
      isAdmin: caller.isAdmin,
      teams: teams.map((team) => ({ id: team.id, title: team.title })),
    };
  };

  routes.get("/me", async (c) => c.json(await meJson(c.get("caller"))));

  // The same zone names and spelling as /timezone. The database tells other instances;
  // this one forgets the caller at once, so the bot's next update reads the new zone.
  routes.patch("/me", async (c) => {
    const caller = c.get("caller");
    const { timezone } = await readBody(c, profileBody);
    await setTimezone(sql, caller.id, timezone);
    people.forget(caller.id);
    return c.json(await meJson(caller));
  });

  routes.put("/me/consent", async (c) => {
    const caller = c.get("caller");
    const { granted } = await readBody(c, consentBody);
    const { record } = await sql.begin((tx) =>
      changeConsent(tx, hashId, caller.id, granted, "miniapp", clock.now()),
    );
    // Recording starts with the next group message, whichever instance handles it.
    people.forget(caller.id);
    return c.json(consentJson(record));
  });

  routes.get("/me/export", async (c) => {
    const caller = c.get("caller");
    const now = clock.now();
    const claim = await sql.begin((tx) => claimExport(tx, app, caller.id, now));
    if (!claim.ok) {
      throw tooManyRequests(
        Math.max(1, Math.ceil((claim.retryAt.getTime() - now.getTime()) / 1000)),
      );
    }
    const chunks = exportDocument(
      { sql, vault, hashId, rules: app.retention.rules },
      caller.id,
      now,
    );
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const next = await chunks.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (error) {
          // The client gets a cut-off file; the slot comes back so they can try again.
          log.error({ user: hashId(caller.id), err: describeError(error) }, "export failed");
          await releaseExportSlot(sql, caller.id, now, claim.previous);
          controller.error(error);
        }
      },
      async cancel() {
        await chunks.return(undefined);
      },
    });
    return c.body(body, 200, {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Disposition": `attachment; filename="${exportFileName(caller.id, now)}"`,
      "Cache-Control": "no-store",
    });
  });

  routes.delete("/me", async (c) => {
    const caller = c.get("caller");
    await readBody(c, eraseBody).catch((error: unknown) => {
      if (error instanceof Invalid) {
        throw new Invalid('Send {"confirm":"DELETE"} to erase your data.', "confirmation_required");
      }
      throw error;
    });
    const counts = await sql.begin((tx) => eraseEverything(tx, hashId, caller.id, clock.now()));
    people.forget(caller.id);
    return c.json({
      deleted: {
        messages: counts.messages,
        consents: counts.consents,
        privateTasks: counts.privateTasks,
        teamTasksUnlinked: counts.teamTasksUnlinked,
        tasksFromMessagesUnlinked: counts.tasksFromMessagesUnlinked,
        memberships: counts.memberships,
        formStates: counts.formStates,
      },
    });
  });

  return routes;
}

const auditQuery = z.strictObject({ limit: limitParam });

/** /api/admin/audit: the latest audit entries (no personal data), for admins. */
export function auditRoutes(app: Services) {
  const routes = apiRouter();
  routes.get("/admin/audit", async (c) => {
    const { limit } = parseWith(auditQuery, c.req.query());
    const entries = await recentAudit(app.sql, limit);
    return c.json({
      entries: entries.map((entry) => ({
        at: entry.at,
        action: entry.action,
        actor: entry.actor,
        target: entry.target,
        counts: entry.counts,
      })),
    });
  });
  return routes;
}
