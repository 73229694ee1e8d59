import { connect } from "node:net";
import { type ConnectionOptions, checkServerIdentity, type PeerCertificate } from "node:tls";

/**
 * TLS to PostgreSQL from DATABASE_URL's `sslmode` (libpq's names, which managed providers
 * print in their URLs) and a CA file. postgres.js reads `sslmode` itself but treats
 * `verify-ca` like `verify-full`, knows no CA file, and forwards libpq's other `ssl*`
 * parameters to the server as settings it then refuses; so the mode is taken out of the URL
 * here and handed over as its `ssl` option.
 */
export const SSL_MODES = ["disable", "prefer", "require", "verify-ca", "verify-full"] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** postgres.js's `ssl` option: false, its own "prefer"/"require", or tls.connect options. */
export type SslOption = false | "prefer" | "require" | ConnectionOptions;

/** libpq parameters postgres.js would send to the server as settings. */
const UNSUPPORTED = ["sslrootcert", "sslcert", "sslkey", "sslcrl", "sslpassword"] as const;

/** Why DATABASE_URL's TLS settings (with or without a CA file) cannot work; undefined if they can. */
export function tlsSettingsProblem(url: string, hasCaFile: boolean): string | undefined {
  const params = new URL(url).searchParams;
  const mode = params.get("sslmode");
  if (mode !== null && !isSslMode(mode)) {
    return `DATABASE_URL has sslmode=${mode}; use one of ${SSL_MODES.join(", ")}`;
  }
  for (const name of UNSUPPORTED) {
    if (!params.has(name)) continue;
    return name === "sslrootcert"
      ? "DATABASE_URL has sslrootcert: give the CA file as DATABASE_CA_FILE instead (sslmode=verify-full without it trusts the system's CAs)"
      : `DATABASE_URL has ${name}, which is not supported (client certificates are not)`;
  }
  if (hasCaFile && mode !== "verify-full" && mode !== "verify-ca") {
    return `DATABASE_CA_FILE is set but DATABASE_URL has ${mode ? `sslmode=${mode}` : "no sslmode"}: add sslmode=verify-full (or verify-ca) to use it`;
  }
  return undefined;
}

/**
 * The URL without `sslmode` and the `ssl` option it means: `require` encrypts without checking
 * the certificate (as libpq does); `verify-ca` checks that the CA signed it; `verify-full`
 * also checks that it names the host. The CA is the file's when given, else the system's.
 * No sslmode: no TLS, as postgres.js does by default.
 */
export function connectionTls(
  url: string,
  ca: string | undefined,
): { url: string; ssl: SslOption } {
  // Not a URL (empty: postgres.js's defaults and PG* variables): nothing to take out.
  if (!URL.canParse(url)) return { url, ssl: false };
  const parsed = new URL(url);
  const mode = parsed.searchParams.get("sslmode");
  if (mode === null) return { url, ssl: false };
  parsed.searchParams.delete("sslmode");
  const bare = parsed.toString();
  const trust = ca === undefined ? {} : { ca };
  switch (mode) {
    case "prefer":
    case "require":
      return { url: bare, ssl: mode };
    case "verify-ca":
      return {
        url: bare,
        ssl: { ...trust, rejectUnauthorized: true, checkServerIdentity: () => undefined },
      };
    case "verify-full":
      return {
        url: bare,
        ssl: {
          ...trust,
          rejectUnauthorized: true,
          // postgres.js names no server for an IP address, and Node then checks the
          // certificate against "localhost": the URL's own host is checked instead.
          checkServerIdentity: (_name: string, cert: PeerCertificate) =>
            identityError(hostsOf(parsed), cert),
        },
      };
    default:
      return { url: bare, ssl: false };
  }
}

/** TLS failures in words an operator can act on; undefined for other errors. */
export function explainTlsError(code: string, host: string): string | undefined {
  switch (code) {
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return `the server's certificate is not for ${host} (${code}; sslmode=verify-full checks the host name)`;
    case "CERT_HAS_EXPIRED":
    case "CERT_NOT_YET_VALID":
      return `the server's certificate is not valid now (${code})`;
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "UNABLE_TO_GET_ISSUER_CERT":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
    case "CERT_SIGNATURE_FAILURE":
      return `the server's certificate is not signed by a trusted CA (${code}; DATABASE_CA_FILE names the CA to trust)`;
    default:
      return undefined;
  }
}

/** Whether TLS is required: the modes that fail rather than fall back to plain. */
export function requiresTls(url: string): boolean {
  const mode = new URL(url).searchParams.get("sslmode");
  return mode === "require" || mode === "verify-ca" || mode === "verify-full";
}

/**
 * Asks the server at host:port whether it offers TLS (PostgreSQL's SSLRequest, answered by one
 * byte: S or N); undefined when it does not answer that. Used to explain a failed connection.
 */
export function serverOffersTls(host: string, port: number): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2_000 });
    const done = (answer: boolean | undefined) => {
      socket.destroy();
      resolve(answer);
    };
    const request = Buffer.alloc(8);
    request.writeInt32BE(8, 0);
    request.writeInt32BE(80_877_103, 4);
    socket.once("connect", () => socket.write(request));
    socket.once("data", (data) =>
      done(data[0] === 0x53 ? true : data[0] === 0x4e ? false : undefined),
    );
    socket.once("timeout", () => done(undefined));
    socket.once("error", () => done(undefined));
    socket.once("close", () => done(undefined));
  });
}

/** The URL's hosts (several, comma-separated, for a multi-host URL), without ports or brackets. */
function hostsOf(url: URL): string[] {
  return url.hostname
    .split(",")
    .map((host) => host.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1"))
    .filter((host) => host !== "");
}

function identityError(hosts: string[], cert: PeerCertificate): Error | undefined {
  const errors = (hosts.length > 0 ? hosts : ["localhost"]).map((host) =>
    checkServerIdentity(host, cert),
  );
  return errors.includes(undefined) ? undefined : errors[0];
}

function isSslMode(value: string): value is SslMode {
  return (SSL_MODES as readonly string[]).includes(value);
}
