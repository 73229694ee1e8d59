/** Longer than any IPv6 address with a zone; a longer entry is not an address anyway. */
const MAX_KEY_LENGTH = 64;

/**
 * The address a request came from, for counting failures per client. With no trusted
 * proxy it is the socket's peer: anyone can write X-Forwarded-For. Behind `trustedProxies`
 * hops, each proxy appends the address it received from, so the client is the entry the
 * outermost trusted proxy appended, the Nth from the right; entries further left were
 * written by the client and are never read, so prepending one changes nothing.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | undefined,
  trustedProxies: number,
): string {
  const fallback = peer ?? "unknown";
  if (trustedProxies === 0 || forwardedFor === undefined) return fallback;
  const chain = forwardedFor
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  const client = chain[Math.max(0, chain.length - trustedProxies)];
  return client === undefined ? fallback : client.slice(0, MAX_KEY_LENGTH);
}
