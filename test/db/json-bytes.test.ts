import { describe, expect, it } from "vitest";
import { byteaBytes } from "#db/export";
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
  it("is its bytes", () => {
    const bytes = Buffer.from([0, 1, 0x7f, 0x80, 0xab, 0xff, 0x10]);
    expect(byteaBytes(Buffer.from(`\\x${bytes.toString("hex")}`))).toEqual(bytes);
    expect(byteaBytes(Buffer.from("\\x"))).toEqual(Buffer.alloc(0));
  });

  it("is refused when it is not hex", () => {
    expect(() => byteaBytes(Buffer.from("\\x0g"))).toThrow("not in hex format");
    expect(() => byteaBytes(Buffer.from("\\x0"))).toThrow("not in hex format");
    expect(() => byteaBytes(Buffer.from("0x00"))).toThrow("not in hex format");
  });
});
