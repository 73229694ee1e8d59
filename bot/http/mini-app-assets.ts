import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import type { Context, MiddlewareHandler } from "hono";

/**
 * The Mini App's hashed assets, compressed once and kept in memory: a name's content never
 * changes, so each file is read and compressed (brotli at its best, and gzip for clients
 * without it) on its first request only. The first screen's JS is 56 kB raw and 20 kB gzip;
 * over a phone's network that difference is the first screen's wait.
 */

const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  json: "application/json",
};
const HASHED_NAME = /^[\w-]+\.(js|css|svg|json)$/;
const IMMUTABLE = "public, max-age=31536000, immutable";

interface Asset {
  type: string;
  identity: Uint8Array<ArrayBuffer>;
  br: Uint8Array<ArrayBuffer>;
  gzip: Uint8Array<ArrayBuffer>;
}

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

async function load(path: string, type: string): Promise<Asset | null> {
  let identity: Buffer;
  try {
    identity = await readFile(path);
  } catch {
    return null;
  }
  const [br, gz] = await Promise.all([
    brotli(identity, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: identity.length,
      },
    }),
    gzipped(identity, { level: 9 }),
  ]);
  // Copied once into plain arrays, the form a response body takes without another copy.
  return {
    type,
    identity: new Uint8Array(identity),
    br: new Uint8Array(br),
    gzip: new Uint8Array(gz),
  };
}

/** The encodings a request accepts (q=0 refuses one), from its Accept-Encoding. */
export function acceptedEncodings(header: string | undefined): Set<string> {
  const accepted = new Set<string>();
  for (const part of (header ?? "").split(",")) {
    const [name = "", ...params] = part.trim().toLowerCase().split(";");
    const refused = params.some((param) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(param));
    if (name && !refused) accepted.add(name);
  }
  return accepted;
}

/** GET /assets/:file from `dir` for text assets; anything else falls through. */
export function compressedAssets(dir: string): MiddlewareHandler {
  // A promise per name, so two first requests at once compress the file once.
  const assets = new Map<string, Promise<Asset | null>>();
  return async (c: Context, next) => {
    const name = c.req.path.slice("/assets/".length);
    const match = HASHED_NAME.exec(name);
    const type = match?.[1] ? TYPES[match[1]] : undefined;
    if (!type) return next();
    let asset = assets.get(name);
    if (!asset) {
      asset = load(`${dir}/${name}`, type);
      assets.set(name, asset);
    }
    const found = await asset;
    // Not there (yet: a build may still be running), so not remembered either.
    if (!found) {
      assets.delete(name);
      return next();
    }
    const accepted = acceptedEncodings(c.req.header("accept-encoding"));
    const encoding = accepted.has("br") ? "br" : accepted.has("gzip") ? "gzip" : null;
    const body = encoding ? found[encoding] : found.identity;
    c.header("Content-Type", found.type);
    c.header("Cache-Control", IMMUTABLE);
    c.header("Vary", "Accept-Encoding");
    c.header("Content-Length", String(body.length));
    if (encoding) c.header("Content-Encoding", encoding);
    return c.body(body, 200);
  };
}
