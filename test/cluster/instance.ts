import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/**
 * One instance of the service as an operator runs it: `npm start` in the repository, in a
 * process group of its own so that signals reach the node process behind npm (and nothing
 * else). Its JSON log lines are kept for the test to read; they carry no personal data.
 */

const REPO = fileURLToPath(new URL("../..", import.meta.url));

export interface LogLine {
  msg?: string;
  [field: string]: unknown;
}

export class Instance {
  private child: ChildProcess | undefined;
  private lines: LogLine[] = [];
  private stderr: string[] = [];
  private listeners = new Set<() => void>();
  private ended: Promise<void> = Promise.resolve();
  private over = true;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  /** Starts `npm start`; resolves once the service says "service started". */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.lines = [];
    this.stderr = [];
    const child = spawn("npm", ["start", "--silent"], {
      cwd: REPO,
      env: { ...this.env, PORT: String(this.port) },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    this.over = false;
    // npm, its shell and the service all hold the output pipes: once both are closed and
    // npm has exited, nothing of this run is left.
    this.ended = Promise.all([
      once(child, "exit"),
      child.stdout ? once(child.stdout, "close") : undefined,
      child.stderr ? once(child.stderr, "close") : undefined,
    ]).then(() => {
      this.over = true;
      this.notify();
    });
    child.stderr?.on("data", (chunk: Buffer) => this.stderr.push(chunk.toString()));
    if (child.stdout) {
      createInterface({ input: child.stdout }).on("line", (line) => {
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.lines.push({ msg: line });
        }
        this.notify();
      });
    }
    await this.untilLogged("service started");
  }

  get running(): boolean {
    return !this.over;
  }

  /** What the current run logged so far. */
  logged(): LogLine[] {
    return [...this.lines];
  }

  messages(): string[] {
    return this.lines.map((line) => String(line.msg ?? ""));
  }

  /** Resolves when a line with this message appears; fails if the process ends first. */
  untilLogged(msg: string | ((msg: string) => boolean)): Promise<LogLine> {
    const matches = typeof msg === "string" ? (m: string) => m === msg : msg;
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = this.lines.find((l) => matches(String(l.msg ?? "")));
        if (line) {
          this.listeners.delete(check);
          resolve(line);
        } else if (!this.running) {
          this.listeners.delete(check);
          reject(
            new Error(
              `${this.name} ended before logging the line it was waited for; ` +
                `stderr: ${this.stderr.join("").slice(-2000)}; last lines: ${JSON.stringify(this.lines.slice(-5))}`,
            ),
          );
        }
      };
      this.listeners.add(check);
      check();
    });
  }

  /** SIGTERM, as an orchestrator stops a service; resolves once all of it has ended. */
  async terminate(): Promise<void> {
    this.signal("SIGTERM");
    await this.ended;
  }

  /** SIGKILL: nothing runs on, nothing is cleaned up. */
  async kill(): Promise<void> {
    this.signal("SIGKILL");
    await this.ended;
  }

  private signal(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.over) return;
    try {
      // The group this test started (detached: npm, its shell and the service), by its id.
      process.kill(-pid, signal);
    } catch {
      // ESRCH: nothing of the group is left.
    }
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
