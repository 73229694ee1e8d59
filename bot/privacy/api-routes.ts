import { z } from "zod";
import {
  type ApiContext,
  apiRouter,
  conditionalJson,
  limitParam,
  parseWith,
  readBody,
  tooManyRequests,
} from "#bot/http/route-helpers";
import { changesState } from "#bot/http/unit";
import { Invalid } from "#bot/lib/errors";
import { describeError } from "#bot/lib/logger";
import type { Services } from "#bot/telegram/context";
import {
  type ConsentJson,
  consentBody,
  type ErasedJson,
  eraseBody,
  type MeJson,
  profileBody,
} from "./contract.ts";
import { auditLogAsJson } from "./core/audit.ts";
import { consent, consentCounts } from "./core/consent.ts";
import { erase } from "./core/erase.ts";
import { exportData } from "./core/export.ts";
import { type Profile, profile, setTimeZone } from "./core/me.ts";
import type { ConsentRecord } from "./core/types.ts";
import { privacyOperation } from "./effects.ts";

function consentJson(record: ConsentRecord | null): ConsentJson {
  if (!record) return { granted: false, policyVersion: null, at: null };
  return {
    granted: consentCounts(record),
    policyVersion: record.policyVersion,
    at: record.at.toISOString(),
  };
}

const meJson = (me: Profile): MeJson => ({ ...me, consent: consentJson(me.consent) });

/**
 * /api/me: the caller's profile and time zone, consent, export and erasure, through the
 * same core operations as /timezone, /consent, /export and /delete in the chat.
 */
export function meRoutes(app: Services) {
  const { log, hashId } = app;
  const routes = apiRouter();
  const op = (c: ApiContext) => privacyOperation(c.get("unit"), app.people);

  routes.get("/me", async (c) => c.json(meJson(await profile(op(c), app))));

  routes.patch("/me", async (c) => {
    const { timezone } = await readBody(c, profileBody);
    return c.json(meJson(await setTimeZone(op(c), app, { timezone })));
  });

  routes.put("/me/consent", async (c) => {
    const { granted } = await readBody(c, consentBody);
    const { record } = await consent(op(c), app, { granted, source: "miniapp" });
    return c.json(consentJson(record));
  });

  // A GET that takes the export slot and writes its audit row, together, committed before
  // the document streams.
  routes.get("/me/export", changesState(app.sql), async (c) => {
    const unit = c.get("unit");
    const claim = await exportData(op(c), app);
    if (!claim.ok) {
      throw tooManyRequests(
        Math.max(1, Math.ceil((claim.retryAt.getTime() - unit.now.getTime()) / 1000)),
      );
    }
    const chunks = claim.document();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const next = await chunks.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (error) {
          // The client gets a cut-off file; the slot comes back so they can try again.
          log.error(
            { user: hashId(unit.actor.userId), err: describeError(error) },
            "export failed",
          );
          await claim.release();
          controller.error(error);
        }
      },
      async cancel() {
        await chunks.return(undefined);
      },
    });
    return c.body(body, 200, {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Disposition": `attachment; filename="${claim.fileName}"`,
      "Cache-Control": "no-store",
    });
  });

  routes.delete("/me", async (c) => {
    await readBody(c, eraseBody).catch((error: unknown) => {
      if (error instanceof Invalid) {
        throw new Invalid('Send {"confirm":"DELETE"} to erase your data.', "confirmation_required");
      }
      throw error;
    });
    const counts = await erase(op(c), app);
    const deleted: ErasedJson["deleted"] = {
      messages: counts.messages,
      consents: counts.consents,
      privateTasks: counts.privateTasks,
      teamTasksUnlinked: counts.teamTasksUnlinked,
      tasksFromMessagesUnlinked: counts.tasksFromMessagesUnlinked,
      memberships: counts.memberships,
      formStates: counts.formStates,
    };
    return c.json({ deleted } satisfies ErasedJson);
  });

  return routes;
}

const auditQuery = z.strictObject({ limit: limitParam });

/** /api/admin/audit: the latest audit entries (no personal data), for admins. */
export function auditRoutes(app: Services) {
  const routes = apiRouter();
  routes.get("/admin/audit", async (c) => {
    const { limit } = parseWith(auditQuery, c.req.query());
    const entries = await auditLogAsJson(privacyOperation(c.get("unit"), app.people), { limit });
    return conditionalJson(c, entries.etag, () => entries.body);
  });
  return routes;
}
