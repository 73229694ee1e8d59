/**
 * Domain errors carry a message meant for the user; the edges (bot replies, HTTP
 * responses) translate them in one place each.
 */
export class DomainError extends Error {
  constructor(
    readonly kind: "not_found" | "invalid",
    message: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export const notFound = (message: string) => new DomainError("not_found", message);
export const invalid = (message: string) => new DomainError("invalid", message);
