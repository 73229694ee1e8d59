import { describe, expect, it } from "vitest";
import { SendBudgets } from "#bot/outbox/budgets";

const person = 42;
const group = -100_42;

describe("sending budgets", () => {
  it("allows one message a second in a private chat", () => {
    const budgets = new SendBudgets();
    expect(budgets.nextAllowed(person, 0)).toBe(0);
    budgets.record(person, 0);
    expect(budgets.nextAllowed(person, 10)).toBe(1000);
    expect(budgets.nextAllowed(person + 1, 10)).toBe(10);
  });

  it("allows a group 20 messages a minute, one a second", () => {
    const budgets = new SendBudgets();
    for (let second = 0; second < 20; second++) {
      expect(budgets.nextAllowed(group, second * 1000)).toBe(second * 1000);
      budgets.record(group, second * 1000);
    }
    expect(budgets.nextAllowed(group, 20_000)).toBe(60_000);
    expect(budgets.nextAllowed(group - 1, 20_000)).toBe(20_000);
  });

  it("allows 30 messages a second overall", () => {
    const budgets = new SendBudgets();
    for (let chat = 1; chat <= 30; chat++) budgets.record(chat, 500);
    expect(budgets.nextAllowed(31, 600)).toBe(1500);
    expect(budgets.nextAllowed(31, 1500)).toBe(1500);
  });
});

describe("a slow answer", () => {
  it("counts the attempt from when Telegram answered", () => {
    const budgets = new SendBudgets();
    budgets.record(person, 0);
    budgets.answered(person, 0, 700);
    expect(budgets.nextAllowed(person, 800)).toBe(1700);
    for (let chat = 1; chat <= 29; chat++) budgets.record(chat, 800);
    expect(budgets.nextAllowed(99, 900)).toBe(1700);
  });
});
