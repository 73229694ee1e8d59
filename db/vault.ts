import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";

/**
 * Encryption at rest for personal fields (message text, names, usernames).
 *
 * A sealed value is `version (1 byte) | key id (4 bytes) | nonce (12) | ciphertext | tag (16)`,
 * AES-256-GCM with a random nonce per value. The row's identity (for example
 * `messages:<chat>:<message>:text`) is bound in as additional data, so a ciphertext copied
 * into another row or column does not decrypt. The key id is part of the value, so a key
 * ring can hold old keys for reading while the first key writes (`npm run keys:rotate`
 * re-seals old values, after which an old key can go).
 */
export interface Vault {
  seal(plain: string, rowIdentity: string): Buffer;
  open(sealed: Uint8Array, rowIdentity: string): string;
  /** The opened value as its UTF-8 bytes, for a writer that sends bytes (the export). */
  openBytes(sealed: Uint8Array, rowIdentity: string): Buffer;
  /** The id of the key that seals new values, as stored in sealed values. */
  readonly currentKeyId: Buffer;
  /** A keyed hash for equality lookups (blind index); without the secret it reveals nothing. */
  fingerprint(purpose: string, value: string): Buffer;
}

const FORMAT_VERSION = 1;
const KEY_ID_BYTES = 4;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + KEY_ID_BYTES + NONCE_BYTES;

/** Where a sealed value keeps its key id, for queries that find values sealed by old keys. */
export const KEY_ID_SQL_POSITION = { from: 2, for: KEY_ID_BYTES } as const;

export class VaultError extends Error {
  override name = "VaultError";
}

/** A key's public name: derived from the key, so it needs no bookkeeping and leaks nothing. */
export function keyIdOf(key: Buffer): Buffer {
  return createHmac("sha256", key).update("task-tracker key id").digest().subarray(0, KEY_ID_BYTES);
}

export function describeKeyId(keyId: Uint8Array): string {
  return `k-${Buffer.from(keyId).toString("hex")}`;
}

export function createVault(keys: readonly Buffer[], hashSecret: Buffer): Vault {
  const [current] = keys;
  if (!current) throw new VaultError("The key ring is empty: ENCRYPTION_KEYS needs a key.");
  const ring = new Map<string, Buffer>();
  for (const key of keys) {
    if (key.length !== 32) throw new VaultError("Every encryption key must be 32 bytes.");
    ring.set(keyIdOf(key).toString("hex"), key);
  }
  const currentKeyId = keyIdOf(current);

  function openBytes(sealed: Uint8Array, rowIdentity: string): Buffer {
    const value = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (value.length < HEADER_BYTES + TAG_BYTES || value[0] !== FORMAT_VERSION) {
      throw new VaultError("A stored value is not in the sealed format.");
    }
    const keyId = value.subarray(1, 1 + KEY_ID_BYTES);
    const key = ring.get(keyId.toString("hex"));
    if (!key) {
      throw new VaultError(
        `A stored value is encrypted with key ${describeKeyId(keyId)}, which is not in ENCRYPTION_KEYS.`,
      );
    }
    const decipher = createDecipheriv(
      "aes-256-gcm",
      key,
      value.subarray(1 + KEY_ID_BYTES, HEADER_BYTES),
    );
    decipher.setAAD(Buffer.from(rowIdentity));
    decipher.setAuthTag(value.subarray(value.length - TAG_BYTES));
    try {
      const body = decipher.update(value.subarray(HEADER_BYTES, value.length - TAG_BYTES));
      // GCM is a stream mode: final() only checks the tag, it holds back no bytes.
      decipher.final();
      return body;
    } catch {
      throw new VaultError(
        `A stored value sealed with key ${describeKeyId(keyId)} failed authentication (tampered, or moved from another row).`,
      );
    }
  }

  return {
    currentKeyId,
    seal(plain, rowIdentity) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv("aes-256-gcm", current, nonce);
      cipher.setAAD(Buffer.from(rowIdentity));
      const body = cipher.update(plain, "utf8");
      const tail = cipher.final();
      return Buffer.concat([
        Buffer.of(FORMAT_VERSION),
        currentKeyId,
        nonce,
        body,
        tail,
        cipher.getAuthTag(),
      ]);
    },
    openBytes,
    open(sealed, rowIdentity) {
      return openBytes(sealed, rowIdentity).toString("utf8");
    },
    fingerprint(purpose, value) {
      return createHmac("sha256", hashSecret).update(`${purpose}\0${value}`).digest();
    },
  };
}
