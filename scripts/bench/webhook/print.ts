/** How the benchmark writes what it found. */

export function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function fmt(value: number, digits: number): string {
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

export function pct(share: number): string {
  return `${Math.round(share * 100)}%`;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
