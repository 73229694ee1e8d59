import autocannon from "autocannon";
import type { ServerMode } from "../webhook-server.ts";
import type { Calls, CallTally } from "./calls.ts";
import type { ServiceLog } from "./children.ts";
import { measureResources, type Resources } from "./resources.ts";
import { type Drained, startService } from "./service.ts";
import type { Traffic } from "./traffic.ts";

/** One load run: start the service in a mode, flood its webhook, collect what happened. */

export const CONNECTIONS = 100;

export interface ModeResult extends Resources {
  mode: ServerMode;
  /** What the run is called in the tables: the mode, and the traffic when it is not the mix. */
  label: string;
  result: autocannon.Result;
  drained: Drained;
  log: ServiceLog;
  calls: Calls;
  mix: Traffic["built"];
}

export async function runMode(options: {
  mode: ServerMode;
  label?: string;
  /** Offered updates per second over all connections; unset: as fast as answers come. */
  rate?: number;
  env: NodeJS.ProcessEnv;
  secret: string;
  seconds: number;
  traffic: Traffic;
  tally: CallTally;
}): Promise<ModeResult> {
  const { mode, secret, traffic, tally } = options;
  const service = await startService(mode, options.env);
  tally.reset();
  const resources = await measureResources(service);

  const result = await autocannon({
    url: `http://127.0.0.1:${service.port}/telegram/webhook`,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: options.seconds,
    ...(options.rate ? { overallRate: options.rate } : {}),
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-telegram-bot-api-secret-token": secret,
    },
    requests: [{ setupRequest: (request) => ({ ...request, body: traffic.next() }) }],
  });

  const used = await resources.stop();
  const drained = await service.drain();
  const calls = tally.read();
  await service.stop();
  return {
    mode,
    label: options.label ?? mode,
    result,
    ...used,
    drained,
    log: service.log,
    calls,
    mix: traffic.built,
  };
}
