import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { processes } from "./proc.ts";
import type { Service } from "./service.ts";

/** What a load run cost: the service's memory, and CPU by whom. */

export interface Resources {
  /** RSS once started, before any load. */
  idleRssBytes: number;
  peakRssBytes: number;
  /** CPU used during the load, in cores (1.0 = one core busy), by whom. */
  cpu: CpuShares;
  /** Load average when the run began: other work on this machine skews the numbers. */
  loadBefore: number;
}

/** Starts measuring now; `stop()` returns what was used since. */
export async function measureResources(
  service: Pick<Service, "stats">,
): Promise<{ stop(): Promise<Resources> }> {
  const loadBefore = loadavg()[0] ?? 0;
  const before = await service.stats();
  const cpuBefore = cpuSnapshot();
  return {
    stop: async () => {
      const after = await service.stats();
      const cpu = cpuShares(cpuBefore, cpuSnapshot(), after.cpuMicros - before.cpuMicros);
      return {
        idleRssBytes: before.rssBytes,
        peakRssBytes: after.peakRssBytes,
        cpu,
        loadBefore,
      };
    },
  };
}

interface CpuSnapshot {
  at: number;
  /** Busy jiffies of the whole machine (/proc/stat). */
  machine: number;
  /** Jiffies per postgres process (the server and its backends). */
  postgres: Map<number, number>;
  driver: NodeJS.CpuUsage;
}

export interface CpuShares {
  service: number;
  postgres: number;
  driver: number;
  /** Everything else on the machine: other people's builds and tests skew a run. */
  other: number;
}

const TICKS_PER_SECOND = clockTicks();

function clockTicks(): number {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
}

function cpuSnapshot(): CpuSnapshot {
  const fields =
    readFileSync("/proc/stat", "utf8").split("\n", 1)[0]?.trim().split(/\s+/).slice(1) ?? [];
  const ticks = fields.map(Number);
  const total = ticks.slice(0, 8).reduce((sum, n) => sum + n, 0);
  // idle and iowait
  const machine = total - (ticks[3] ?? 0) - (ticks[4] ?? 0);
  const postgres = new Map<number, number>();
  for (const { pid, comm, fields: stat } of processes()) {
    if (comm === "postgres") postgres.set(pid, Number(stat[11]) + Number(stat[12]));
  }
  return { at: performance.now(), machine, postgres, driver: process.cpuUsage() };
}

function cpuShares(before: CpuSnapshot, after: CpuSnapshot, serviceMicros: number): CpuShares {
  const wall = (after.at - before.at) / 1000;
  let postgresTicks = 0;
  for (const [pid, ticks] of after.postgres)
    postgresTicks += ticks - (before.postgres.get(pid) ?? 0);
  const driver = process.cpuUsage(before.driver);
  const shares = {
    service: serviceMicros / 1e6 / wall,
    postgres: postgresTicks / TICKS_PER_SECOND / wall,
    driver: (driver.user + driver.system) / 1e6 / wall,
  };
  const machine = (after.machine - before.machine) / TICKS_PER_SECOND / wall;
  return {
    ...shares,
    other: Math.max(0, machine - shares.service - shares.postgres - shares.driver),
  };
}
