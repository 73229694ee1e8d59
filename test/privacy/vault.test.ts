import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createVault, describeKeyId, keyIdOf } from "#db/vault";

const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const secret = randomBytes(32);

describe("vault", () => {
  it("opens what it sealed, and the sealed bytes do not contain the text", () => {
    const vault = createVault([newKey], secret);
    const sealed = vault.seal("Call the bank at 9, Grüße 👋", "messages:-100:7:text");
    expect(sealed.includes(Buffer.from("bank"))).toBe(false);
    expect(vault.open(sealed, "messages:-100:7:text")).toBe("Call the bank at 9, Grüße 👋");
  });

  it("uses a fresh nonce per value: the same text seals differently", () => {
    const vault = createVault([newKey], secret);
    expect(vault.seal("same", "r").equals(vault.seal("same", "r"))).toBe(false);
  });

  it("refuses a value moved to another row", () => {
    const vault = createVault([newKey], secret);
    const sealed = vault.seal("Alice", "users:1001:first_name");
    expect(() => vault.open(sealed, "users:1002:first_name")).toThrow(/failed authentication/);
  });

  it("refuses a tampered value", () => {
    const vault = createVault([newKey], secret);
    const sealed = vault.seal("Alice", "users:1001:first_name");
    sealed[sealed.length - 20] = (sealed[sealed.length - 20] ?? 0) ^ 1;
    expect(() => vault.open(sealed, "users:1001:first_name")).toThrow(/failed authentication/);
  });

  it("seals with the first key and opens with any key of the ring", () => {
    const before = createVault([oldKey], secret);
    const sealedOld = before.seal("old", "r");
    const ring = createVault([newKey, oldKey], secret);
    expect(ring.open(sealedOld, "r")).toBe("old");
    const sealedNew = ring.seal("new", "r");
    expect(sealedNew.subarray(1, 5).equals(keyIdOf(newKey))).toBe(true);
    expect(ring.currentKeyId.equals(keyIdOf(newKey))).toBe(true);
  });

  it("names the missing key when a value was sealed by a key no longer in the ring", () => {
    const sealed = createVault([oldKey], secret).seal("old", "r");
    const without = createVault([newKey], secret);
    expect(() => without.open(sealed, "r")).toThrow(
      `A stored value is encrypted with key ${describeKeyId(keyIdOf(oldKey))}, which is not in ENCRYPTION_KEYS.`,
    );
  });

  it("gives equal fingerprints for equal values only, and depends on the secret", () => {
    const vault = createVault([newKey], secret);
    const other = createVault([newKey], randomBytes(32));
    expect(
      vault.fingerprint("username", "alice").equals(vault.fingerprint("username", "alice")),
    ).toBe(true);
    expect(
      vault.fingerprint("username", "alice").equals(vault.fingerprint("username", "bob")),
    ).toBe(false);
    expect(
      vault.fingerprint("username", "alice").equals(other.fingerprint("username", "alice")),
    ).toBe(false);
  });
});
