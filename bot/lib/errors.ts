/**
 * Domain errors: the one hierarchy every core and edge shares. Each carries a machine
 * `code` and a message a person can read; the edges translate them in one place each
 * (the bot: a reply or toast with the message; HTTP: `{error:{code,message}}` and a status).
 */
export type DomainErrorKind = "not_found" | "forbidden" | "conflict" | "invalid";

const DEFAULT_CODE: Record<DomainErrorKind, string> = {
  not_found: "not_found",
  forbidden: "forbidden",
  conflict: "conflict",
  invalid: "invalid_input",
};

export class DomainError extends Error {
  readonly code: string;

  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    code?: string,
  ) {
    super(message);
    this.name = "DomainError";
    this.code = code ?? DEFAULT_CODE[kind];
  }
}

/** Not there, or not yours: the same answer, so ids cannot be probed. */
export class NotFound extends DomainError {
  constructor(message = "Not found.", code?: string) {
    super("not_found", message, code);
  }
}

export class Forbidden extends DomainError {
  constructor(message: string, code?: string) {
    super("forbidden", message, code);
  }
}

/** The request is fine, but the thing is not in a state that allows it. */
export class Conflict extends DomainError {
  constructor(message: string, code?: string) {
    super("conflict", message, code);
  }
}

export class Invalid extends DomainError {
  constructor(message: string, code?: string) {
    super("invalid", message, code);
  }
}

export const notFound = (message?: string) => new NotFound(message);
export const forbidden = (message: string) => new Forbidden(message);
export const conflict = (message: string) => new Conflict(message);
export const invalid = (message: string) => new Invalid(message);
