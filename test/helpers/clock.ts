import type { Clock } from "#bot/lib/clock";

/** Where every test clock starts unless a test sets it: tests never read the real date. */
export const TEST_EPOCH = "2026-11-28T10:00:00Z";

/** A clock that only moves when the test moves it. */
export class FakeClock implements Clock {
  private current: number;

  constructor(start: string | Date = TEST_EPOCH) {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  set(date: string | Date): void {
    this.current = new Date(date).getTime();
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
