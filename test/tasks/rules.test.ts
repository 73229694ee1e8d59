import { describe, expect, it } from "vitest";
import { moveRefusal } from "#bot/tasks/core/rules";

const TEAM = -1001;
const OTHER = -1002;
const creator = { id: 1, isAdmin: false };
const member = { id: 2, isAdmin: false };
const admin = { id: 9, isAdmin: true };

describe("moveRefusal", () => {
  const teamTask = { teamId: TEAM, creatorId: creator.id };
  const privateTask = { teamId: null, creatorId: creator.id };

  it("lets anyone who sees the task keep its team as it is", () => {
    expect(moveRefusal(teamTask, TEAM, member, false)).toBeNull();
    expect(moveRefusal(privateTask, null, member, false)).toBeNull();
  });

  it("refuses a move by anyone but the creator or an admin, into a team or out of one", () => {
    expect(moveRefusal(teamTask, OTHER, member, true)).toBe("not_creator");
    expect(moveRefusal(teamTask, null, member, true)).toBe("not_creator");
    // The assignee of a private task may not publish it into a group.
    expect(moveRefusal(privateTask, TEAM, member, true)).toBe("not_creator");
  });

  it("lets the creator or an admin move it into a team the creator belongs to", () => {
    expect(moveRefusal(teamTask, OTHER, creator, true)).toBeNull();
    expect(moveRefusal(privateTask, TEAM, creator, true)).toBeNull();
    expect(moveRefusal(teamTask, OTHER, admin, true)).toBeNull();
  });

  it("refuses a team the creator does not belong to, whoever moves", () => {
    expect(moveRefusal(teamTask, OTHER, creator, false)).toBe("creator_not_in_team");
    expect(moveRefusal(teamTask, OTHER, admin, false)).toBe("creator_not_in_team");
  });

  it("lets the creator or an admin make it private", () => {
    expect(moveRefusal(teamTask, null, creator, false)).toBeNull();
    expect(moveRefusal(teamTask, null, admin, false)).toBeNull();
  });

  it("moves a task whose creator erased their data only out of its team, by an admin", () => {
    const orphan = { teamId: TEAM, creatorId: null };
    expect(moveRefusal(orphan, OTHER, admin, false)).toBe("creator_not_in_team");
    expect(moveRefusal(orphan, OTHER, member, false)).toBe("not_creator");
    expect(moveRefusal(orphan, null, admin, false)).toBeNull();
  });
});
