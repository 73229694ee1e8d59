import { describe, expect, it } from "vitest";
import { clientAddress } from "#bot/http/client-address";

const PEER = "10.0.0.2";

describe("clientAddress", () => {
  it("is the socket's peer when no proxy is trusted, whatever X-Forwarded-For says", () => {
    expect(clientAddress(PEER, "203.0.113.1", 0)).toBe(PEER);
    expect(clientAddress(undefined, "203.0.113.1", 0)).toBe("unknown");
  });

  it("takes the entry the outermost trusted proxy wrote: the Nth from the right", () => {
    expect(clientAddress(PEER, "203.0.113.1", 1)).toBe("203.0.113.1");
    expect(clientAddress(PEER, "1.1.1.1, 203.0.113.1", 1)).toBe("203.0.113.1");
    expect(clientAddress(PEER, "1.1.1.1, 203.0.113.1, 10.0.0.7", 2)).toBe("203.0.113.1");
    expect(clientAddress(PEER, " 1.1.1.1 ,203.0.113.1 ", 1)).toBe("203.0.113.1");
  });

  it("goes no further than the chain: fewer entries than hops gives the leftmost", () => {
    expect(clientAddress(PEER, "203.0.113.1", 3)).toBe("203.0.113.1");
  });

  it("falls back to the peer when a trusted proxy sent no address", () => {
    expect(clientAddress(PEER, undefined, 1)).toBe(PEER);
    expect(clientAddress(PEER, " , ", 1)).toBe(PEER);
  });

  it("keeps a key short whatever a header holds", () => {
    expect(clientAddress(PEER, "x".repeat(5000), 1)).toHaveLength(64);
  });
});
