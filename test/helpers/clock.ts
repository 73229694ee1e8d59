import type { Clock } from "#bot/lib/clock";

/** A clock that only moves when the test moves it. */
export class FakeClock implements Clock {
  private current: number;

  constructor(start: string | Date = "2026-11-28T10:00:00Z") {
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
