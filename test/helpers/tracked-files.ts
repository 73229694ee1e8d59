import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Each tracked file that differs from git's index, with a hash of what it holds now. */
export type TrackedChanges = Map<string, string>;

/**
 * The tracked files a developer has changed, and how: `git status` alone would not see a
 * test rewrite a file that was already modified. Undefined outside a git work tree (an
 * unpacked tarball, an image), where there is nothing to compare.
 */
export function trackedChanges(repo: string): TrackedChanges | undefined {
  let status: string;
  try {
    status = execFileSync("git", ["status", "--porcelain=v1", "-z", "--untracked-files=no"], {
      cwd: repo,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
  } catch {
    return undefined;
  }
  const changes: TrackedChanges = new Map();
  const fields = status.split("\0");
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] ?? "";
    if (field.length < 4) continue;
    const [x, path] = [field.slice(0, 2), field.slice(3)];
    // A rename or copy names its source in the next field.
    if (x.includes("R") || x.includes("C")) i++;
    changes.set(path, contentHash(join(repo, path)));
  }
  return changes;
}

/** The paths whose state differs between the two snapshots. */
export function changedBetween(before: TrackedChanges, after: TrackedChanges): string[] {
  const paths = new Set([...before.keys(), ...after.keys()]);
  return [...paths].filter((path) => before.get(path) !== after.get(path)).sort();
}

function contentHash(file: string): string {
  if (!existsSync(file)) return "absent";
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}
