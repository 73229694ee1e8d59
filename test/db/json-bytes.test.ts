import { describe, expect, it } from "vitest";
import { hexBytes } from "#db/export";
import { jsonStringLength, writeJsonString } from "#db/json-text";

/** What the export writes for a text's bytes, against JSON.stringify of the text. */
function written(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  const out = Buffer.alloc(jsonStringLength(bytes) + 4, 0xff);
  const end = writeJsonString(bytes, out, 2);
  expect(end).toBe(out.length - 2);
  return out.subarray(2, end);
}

describe("a text's UTF-8 bytes written as a JSON string", () => {
  it("is byte for byte what JSON.stringify writes, whatever the text holds", () => {
    const every = Array.from({ length: 0x80 }, (_, code) => String.fromCharCode(code)).join("");
    const texts = [
      "",
      "plain words",
      every,
      'quotes " and \\ backslashes \\" at the end \\',
      '"',
      "\u0000\u0001\u001f\u007f",
      "new line \n return \r tab \t backspace \b feed \f",
      "unicode: Ünïcödé, кириллица, 日本語, עברית, \u2028 and \u2029 separators",
      "emoji: 🎉👩‍👩‍👧‍👦🏳️‍🌈",
      "\ud800 a lone surrogate, as the vault stores it (U+FFFD)",
      "a".repeat(5000),
    ];
    for (const text of texts) {
      const stored = Buffer.from(text, "utf8").toString("utf8");
      expect(written(text).toString("utf8")).toBe(JSON.stringify(stored));
    }
  });
});

describe("a bytea as raw rows give it", () => {
  const hex = (bytes: Buffer) => Buffer.from(`\\x${bytes.toString("hex")}`);

  it("is its bytes, from any byte on", () => {
    const bytes = Buffer.from([0, 1, 0x7f, 0x80, 0xab, 0xff, 0x10]);
    expect(Buffer.from(hexBytes(hex(bytes), 0, 7))).toEqual(bytes);
    expect(Buffer.from(hexBytes(hex(bytes), 2, 3))).toEqual(bytes.subarray(2, 5));
    expect(hexBytes(hex(bytes), 7, 0)).toHaveLength(0);
    const long = Buffer.alloc(10_000, 0xa5);
    expect(Buffer.from(hexBytes(hex(long), 0, long.length))).toEqual(long);
  });

  it("is refused when it is not hex or shorter than asked", () => {
    expect(() => hexBytes(Buffer.from("\\x0g"), 0, 1)).toThrow("not in hex format");
    expect(() => hexBytes(Buffer.from("\\x00"), 0, 2)).toThrow("not in hex format");
    expect(() => hexBytes(Buffer.from("0x00"), 0, 1)).toThrow("not in hex format");
  });
});
