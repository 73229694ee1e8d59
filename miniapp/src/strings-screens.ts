import { t as firstScreen } from "./strings.ts";

// 1 January 2024 was a Monday, so day `iso` of that month is ISO weekday `iso`.
const weekdayName = (iso: number, width: "long" | "short") =>
  new Intl.DateTimeFormat(firstScreen.locale, { weekday: width, timeZone: "UTC" }).format(
    Date.UTC(2024, 0, iso),
  );

function ordinal(day: number): string {
  const tens = day % 100;
  if (tens >= 11 && tens <= 13) return `${day}th`;
  return `${day}${({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[day % 10] ?? "th"}`;
}

/** The strings of the task form and the privacy screen, with the first screen's. */
export const t = {
  ...firstScreen,
  form: {
    label: "Task",
    newLabel: "New task",
    title: "Title",
    description: "Description",
    assignee: "Assignee",
    nobody: "Nobody",
    me: "Me",
    due: "Due",
    priority: "Priority",
    team: "Team",
    privateTask: "Private (only me)",
    remind: "Remind",
    remindAtDue: "At due time",
    remindQuarter: "15 min before",
    remindHour: "1 h before",
    remindDay: "1 day before",
    remindNeedsTime: "This due date has no time of day: set one to get reminders.",
    repeat: "Repeat",
    repeatNever: "Never",
    repeatDay: "Every day",
    repeatWeekday: "Every weekday",
    repeatWeek: (weekday: number) => `Every week on ${weekdayName(weekday, "long")}`,
    repeatTwoWeeks: "Every 2 weeks",
    repeatMonth: (day: number) => `Every month on the ${ordinal(day)}`,
    fromDone: "Count from completion",
    skip: "Skip this date",
    skipped: (when: string) => `Moved to ${when}`,
    notRepeating: "This task is done or no longer repeats, so there is no date to skip.",
    source: "From the message",
    fromMessage: "From a message",
    pickMessage: "Pick a recent message",
    noMessages: "No stored messages in this team yet",
    titleRequired: "Give the task a title",
    titleTooLong: "The title is at most 200 characters",
    save: "Save",
    create: "Create",
    markDone: "Mark done",
    reopen: "Reopen",
    delete: "Delete task",
    saved: "Saved",
  },
  privacy: {
    title: "Your privacy",
    consent: "Record my group messages",
    consentHint:
      "Only while this is on, your messages in groups are stored, so your team can make tasks from them.",
    timeZone: (zone: string) => `Time zone: ${zone}`,
    useDeviceZone: (zone: string) => `Use this device's time zone (${zone})`,
    pickZone: "Choose a time zone",
    timeZoneHint: "The bot reads and shows due dates, reminders and quiet hours in it.",
    download: "Download my data",
    downloadSent: "The bot is sending you the file in our chat.",
    erase: "Delete my data",
    eraseConfirm:
      "This deletes your data for good. Team tasks stay with the team without your name, as the privacy notice says. Type DELETE to confirm.",
    eraseButton: "Delete everything",
    erased: "Your data is deleted.",
    notice: "Privacy notice",
    retention: "Message retention (admins)",
    globalDays: "Global period, days",
    saveRetention: "Save period",
  },
};
