import { z } from "zod";
import type { RetentionRules } from "./core/types.ts";

/** What an admin asked for with /retention. "here": the global period in private chat, the group's in a group. */
export type RetentionRequest =
  | { kind: "show" }
  | { kind: "set"; where: "here"; days: number | "default" }
  | { kind: "set"; where: "team"; teamId: number; days: number | "default" }
  | { kind: "invalid"; reason: string };

const days = z
  .string()
  .regex(/^\d{1,9}$/)
  .transform(Number);
const teamId = z
  .string()
  .regex(/^-\d{1,16}$/)
  .transform(Number);
const period = z.union([z.literal("default"), days]);

const argumentsSchema = z.union([
  z.tuple([]).transform((): RetentionRequest => ({ kind: "show" })),
  z.tuple([period]).transform(
    ([value]): RetentionRequest => ({
      kind: "set",
      where: "here",
      days: value,
    }),
  ),
  z.tuple([z.literal("team"), teamId, period]).transform(
    ([, id, value]): RetentionRequest => ({
      kind: "set",
      where: "team",
      teamId: id,
      days: value,
    }),
  ),
]);

export function usage(rules: RetentionRules): string {
  return [
    "/retention: show the policy",
    "/retention 30: set the global period (in a group: that group's own period)",
    "/retention team -100123 30: set a group's own period",
    "/retention team -100123 default: the group follows the global period again",
    `Periods are whole days from ${rules.minDays} to ${rules.maxDays}.`,
  ].join("\n");
}

/** Parses the command's arguments and checks a period against the bounds. */
export function parseRetentionRequest(text: string, rules: RetentionRules): RetentionRequest {
  const words = text
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
  const parsed = argumentsSchema.safeParse(words);
  if (!parsed.success) {
    return { kind: "invalid", reason: `I did not understand that.\n\n${usage(rules)}` };
  }
  const request = parsed.data;
  if (request.kind !== "set" || request.days === "default") return request;
  if (request.days < rules.minDays || request.days > rules.maxDays) {
    return {
      kind: "invalid",
      reason: `${request.days} days is outside the allowed range: ${rules.minDays} to ${rules.maxDays} days. Nothing changed.`,
    };
  }
  return request;
}
