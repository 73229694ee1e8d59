import { readdirSync, readFileSync } from "node:fs";

export interface ProcessStat {
  pid: number;
  comm: string;
  /** The fields after the command name: state, ppid, pgrp, … */
  fields: string[];
}

/** /proc/<pid>/stat of every process. */
export function processes(): ProcessStat[] {
  const found: ProcessStat[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      found.push({
        pid: Number(entry),
        comm,
        fields: stat.slice(stat.lastIndexOf(")") + 2).split(" "),
      });
    } catch {
      // Exited while we looked.
    }
  }
  return found;
}
