import type { Sql } from "postgres";
import type { Metrics } from "./registry.ts";

/**
 * The pool as the service uses it, counting the connections it holds beyond one statement:
 * transactions (`begin`, from the call until it ends, so a wait for a free connection counts)
 * and reserved connections (`reserve`, until released). postgres.js does not tell how many of
 * its connections are busy, so they are counted here, at our edge; every statement still goes
 * to the same pool.
 */
export function countConnections(sql: Sql, metrics: Metrics): Sql {
  const held = metrics.dbConnectionsHeld;
  const begin: Sql["begin"] = (...args: unknown[]) => {
    held.inc({ use: "transaction" });
    const done = () => held.dec({ use: "transaction" });
    return (sql.begin as (...a: unknown[]) => Promise<unknown>)(...args).finally(done) as never;
  };
  const reserve: Sql["reserve"] = async () => {
    const reserved = await sql.reserve();
    held.inc({ use: "reserved" });
    const release = reserved.release.bind(reserved);
    let released = false;
    reserved.release = () => {
      if (!released) held.dec({ use: "reserved" });
      released = true;
      release();
    };
    return reserved;
  };
  held.set({ use: "transaction" }, 0);
  held.set({ use: "reserved" }, 0);
  return new Proxy(sql, {
    get(target, property, receiver) {
      if (property === "begin") return begin;
      if (property === "reserve") return reserve;
      return Reflect.get(target, property, receiver);
    },
  });
}
