import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadConfig } from "#bot/config";
import { createSql } from "#db/client";
import { openDatabase, waitForDatabase } from "#db/open";
import { startTlsPostgres, type TlsPostgres } from "#test/helpers/tls-postgres";

const token = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abc";
let server: TlsPostgres;
let files: string;

beforeAll(async () => {
  server = await startTlsPostgres();
  files = mkdtempSync(join(tmpdir(), "tt-tls-ca-"));
  writeFileSync(join(files, "ca.crt"), server.caPem);
  writeFileSync(join(files, "other-ca.crt"), server.otherCaPem);
});

afterAll(async () => {
  await server?.stop();
  if (files) rmSync(files, { recursive: true, force: true });
});

const url = (host: string, query: string) =>
  `postgres://postgres@${host}:${server.port}/postgres${query}`;

/** Whether the session that answers is encrypted, as the server sees it. */
async function encrypted(databaseUrl: string, ca?: string): Promise<boolean> {
  const sql = createSql(databaseUrl, { max: 1, ca });
  try {
    const [row] = await sql<{ ssl: boolean }[]>`
      select ssl from pg_stat_ssl where pid = pg_backend_pid()`;
    return row?.ssl ?? false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** The one line the start stops with, or "connected". */
async function startLine(databaseUrl: string, ca?: string): Promise<string> {
  try {
    await waitForDatabase(databaseUrl, { ca, waitSeconds: 0, log: () => {} });
    return "connected";
  } catch (error) {
    return (error as Error).message;
  }
}

describe("the database over TLS", () => {
  it("encrypts with sslmode=require without checking the certificate, and not without sslmode", async () => {
    expect(await encrypted(url("127.0.0.1", "?sslmode=require"))).toBe(true);
    expect(await encrypted(url("127.0.0.1", "?sslmode=prefer"))).toBe(true);
    expect(await encrypted(url("127.0.0.1", ""))).toBe(false);
    expect(await encrypted(url("127.0.0.1", "?sslmode=disable"))).toBe(false);
  });

  it("connects with sslmode=verify-full when DATABASE_CA_FILE signed the certificate for that host", async () => {
    const config = loadConfig({
      BOT_TOKEN: token,
      DATABASE_URL: url("localhost", "?sslmode=verify-full"),
      DATABASE_CA_FILE: join(files, "ca.crt"),
    });
    const database = await openDatabase({
      databaseUrl: config.databaseUrl,
      databaseCa: config.databaseCa,
      dataDir: files,
      waitSeconds: 0,
      log: { info: () => {}, debug: () => {} },
    });
    try {
      const [row] = await database.sql<{ ssl: boolean; migrations: number }[]>`
        select (select ssl from pg_stat_ssl where pid = pg_backend_pid()) as ssl,
               (select count(*)::int from schema_migrations) as migrations`;
      expect(row?.ssl).toBe(true);
      expect(row?.migrations).toBeGreaterThan(0);
    } finally {
      await database.close();
    }
  });

  it("refuses a certificate another CA signed, saying so", async () => {
    expect(await startLine(url("localhost", "?sslmode=verify-full"), server.otherCaPem)).toBe(
      `cannot reach PostgreSQL at localhost:${server.port} (DATABASE_URL): the server's certificate is not signed by a trusted CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE; DATABASE_CA_FILE names the CA to trust)`,
    );
    // Without DATABASE_CA_FILE only the system's CAs are trusted, and none signed it.
    expect(await startLine(url("localhost", "?sslmode=verify-full"))).toContain(
      "the server's certificate is not signed by a trusted CA",
    );
  });

  it("refuses, with verify-full, a certificate for another host name; verify-ca does not check the name", async () => {
    expect(await startLine(url("127.0.0.1", "?sslmode=verify-full"), server.caPem)).toBe(
      `cannot reach PostgreSQL at 127.0.0.1:${server.port} (DATABASE_URL): the server's certificate is not for 127.0.0.1 (ERR_TLS_CERT_ALTNAME_INVALID; sslmode=verify-full checks the host name)`,
    );
    expect(await encrypted(url("127.0.0.1", "?sslmode=verify-ca"), server.caPem)).toBe(true);
    expect(await startLine(url("127.0.0.1", "?sslmode=verify-ca"), server.otherCaPem)).toContain(
      "not signed by a trusted CA",
    );
  });

  it("says so when the server does not offer TLS at all", async () => {
    const plain = new URL(inject("testDatabaseAdminUrl"));
    plain.searchParams.set("sslmode", "require");
    expect(await startLine(plain.toString())).toBe(
      `cannot reach PostgreSQL at ${plain.hostname}:${plain.port || "5432"} (DATABASE_URL): the server does not offer TLS, which sslmode=require asks for`,
    );
  });
});
