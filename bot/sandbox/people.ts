/**
 * Who lives in the sandbox: three people and their team's group. The emulator, the reset, the
 * sandbox page and the demo data all take them from here, so they always agree.
 */

export interface SandboxPerson {
  id: number;
  firstName: string;
  username: string;
}

/** Alice, Bob and Carol; the first is the group's admin. */
export const SANDBOX_PEOPLE: readonly [SandboxPerson, SandboxPerson, SandboxPerson] = [
  { id: 1001, firstName: "Alice", username: "alice" },
  { id: 1002, firstName: "Bob", username: "bob" },
  { id: 1003, firstName: "Carol", username: "carol" },
];

/** The team's group (a supergroup, as Telegram makes every group the bot is added to today). */
export const SANDBOX_TEAM = { id: -1001000000001, title: "Demo team" } as const;
