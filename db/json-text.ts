import type { Db } from "./client.ts";
import type { Vault } from "./vault.ts";

/**
 * Answers written as JSON text by PostgreSQL (PostgREST's way), for values the database may
 * write itself: numbers, dates, enum words, fixed keys, and plain text through `to_json`
 * (PostgreSQL escapes exactly what JSON.stringify escapes). It cannot write what it holds
 * sealed, so a query writes PLACEHOLDER for each sealed value and returns the values beside
 * the text, in the same order, with the identity each was sealed under; `spliceOpened` opens
 * only those and puts them in as JSON strings. No value the database writes holds the
 * placeholder: plain text goes through to_json, which escapes it as \u0001.
 */
export const PLACEHOLDER = "\u0001";

/** A time as Date.prototype.toISOString writes it: UTC, milliseconds (cut, as Date does), Z. */
export function isoTimeSql(db: Db, column: string) {
  return db`to_char(${db(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** A time as a JSON value: the ISO string in quotes, or null. */
export function isoJsonSql(db: Db, column: string) {
  return db`coalesce('"' || ${isoTimeSql(db, column)} || '"', 'null')`;
}

/**
 * A jsonb object of numbers, arrays of numbers and enum words (a repeat rule) as
 * JSON.stringify writes it, or null: jsonb's spaces after ':' and ',' are the only
 * difference (same key order).
 */
export function compactRuleSql(db: Db, column: string) {
  return db`coalesce(replace(replace(${db(column)}::text, '": ', '":'), ', ', ','), 'null')`;
}

/** The text with each placeholder replaced by its opened value as a JSON string. */
export function spliceOpened(
  vault: Vault,
  text: string,
  sealed: readonly Buffer[],
  identities: readonly string[],
): string {
  if (identities.length !== sealed.length) {
    throw new Error("the sealed values and their identities do not match");
  }
  return spliceTexts(
    text,
    sealed.map((value, i) => vault.open(value, identities[i] as string)),
  );
}

/** The text with each placeholder replaced by the next of `texts`, as a JSON string. */
export function spliceTexts(text: string, texts: readonly string[]): string {
  const pieces = text.split(PLACEHOLDER);
  if (pieces.length !== texts.length + 1) {
    throw new Error("the JSON text's placeholders and values do not match");
  }
  let out = pieces[0] ?? "";
  for (let i = 0; i < texts.length; i++) out += JSON.stringify(texts[i]) + pieces[i + 1];
  return out;
}

/** A list answer written by PostgreSQL, its sealed texts still sealed. */
export interface JsonAnswer {
  /** False when a team was asked for and the viewer is not its member: nothing else was read. */
  member: boolean;
  /** A weak validator of exactly what the answer shows (texts as their sealed bytes). */
  etag: string;
  /** The answer's body, opened: call only when it is sent. */
  body(vault: Vault): string;
}

/** What JSON.stringify writes for each byte of a string's UTF-8 that it escapes. */
const ESCAPED: readonly (Buffer | undefined)[] = Array.from({ length: 256 }, (_, byte) => {
  if (byte >= 0x20 && byte !== 0x22 && byte !== 0x5c) return undefined;
  return Buffer.from(JSON.stringify(String.fromCharCode(byte)).slice(1, -1), "latin1");
});

/**
 * A text given as well-formed UTF-8 (isUtf8), as a JSON string: the length of what
 * `writeJsonString` writes, quotes included.
 */
export function jsonStringLength(text: Uint8Array): number {
  let length = text.length + 2;
  for (let i = 0; i < text.length; i++) {
    const escaped = ESCAPED[text[i] as number];
    if (escaped) length += escaped.length - 1;
  }
  return length;
}

/**
 * Writes a text given as well-formed UTF-8 as a JSON string at `at` in `out`, byte for byte
 * what JSON.stringify writes for it encoded as UTF-8 (only `"`, `\` and the control
 * characters are escaped, and well-formed UTF-8 holds no lone surrogate), without decoding it
 * to a string and encoding it again; returns where it ended.
 */
export function writeJsonString(text: Uint8Array, out: Buffer, at: number): number {
  let end = at;
  out[end++] = 0x22;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const escaped = ESCAPED[text[i] as number];
    if (!escaped) continue;
    out.set(text.subarray(from, i), end);
    end += i - from;
    end += escaped.copy(out, end);
    from = i + 1;
  }
  out.set(text.subarray(from), end);
  end += text.length - from;
  out[end++] = 0x22;
  return end;
}
