import { describe, expect, it } from "vitest";
import { DOMAIN_STATUS } from "#bot/http/route-helpers";
import { Conflict, DomainError, Forbidden, Invalid, NotFound } from "#bot/lib/errors";

describe("domain errors", () => {
  it("carry a kind, a machine code and a message a person can read", () => {
    const errors = [
      new NotFound(),
      new Forbidden("Admins only."),
      new Conflict("Only an open repeating task can skip a date.", "not_repeating"),
      new Invalid("title: too long"),
    ];
    expect(errors.every((e) => e instanceof DomainError)).toBe(true);
    expect(errors.map((e) => [e.kind, e.code, e.message])).toEqual([
      ["not_found", "not_found", "Not found."],
      ["forbidden", "forbidden", "Admins only."],
      ["conflict", "not_repeating", "Only an open repeating task can skip a date."],
      ["invalid", "invalid_input", "title: too long"],
    ]);
  });

  it("map to one HTTP status per kind", () => {
    expect(DOMAIN_STATUS).toEqual({ not_found: 404, forbidden: 403, conflict: 409, invalid: 400 });
  });
});
