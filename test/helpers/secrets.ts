import type { Secrets } from "#db/secrets";

/** Fixed test secrets, so a test can build a second vault that reads what the bot sealed. */
export const TEST_SECRETS: Secrets = {
  encryptionKeys: [Buffer.alloc(32, 7)],
  hashSecret: Buffer.alloc(32, 9),
};

export const base64 = (key: Buffer) => key.toString("base64");
