/** Where "now" comes from. Production uses the system clock; tests pass a clock they move. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
