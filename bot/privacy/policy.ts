import { escapeHtml } from "#bot/lib/html";

/**
 * The version of the privacy notice below. Raise it whenever what we store or why
 * changes: everyone who agreed to an older version is asked again and counts as not
 * consenting until they answer.
 */
// 2: tasks made from a member's message keep their author; task texts are sealed; an admin's
// retention records outlive their /delete.
// The app's device-only copy of the last list (miniapp/src/device-cache.ts) is stated in the
// notice without a new version: the service stores nothing new, so no consent changes.
export const PRIVACY_POLICY_VERSION = 2;

export interface NoticeSection {
  heading: string;
  /** Plain text; a paragraph starting with "• " is a list item. */
  paragraphs: string[];
}

export interface PrivacyNotice {
  title: string;
  version: number;
  sections: NoticeSection[];
}

/** The privacy notice, written for the people it is about. */
export function privacyNotice(retentionDays: number): PrivacyNotice {
  return {
    title: "Task Tracker privacy notice",
    version: PRIVACY_POLICY_VERSION,
    sections: [
      {
        heading: "What I keep, and why",
        paragraphs: [
          "• Your Telegram name, username and language, encrypted, so teammates can assign tasks to you and cards can say who does what. They are refreshed from Telegram whenever you write, so correcting them in Telegram corrects them here.",
          "• Which of your groups I am in, so only members see a group's tasks.",
          "• The tasks you create or are assigned: title, description, due date, priority, status, repeat rule and reminder times. Task titles and descriptions are stored encrypted.",
          "• Tasks a teammate makes from one of your group messages (/task in reply, or “From a message” in the app), whether or not you agreed to recording: the copy of your words is the team's task, and I note that the message was yours, so /export lists those tasks and /delete removes that link.",
          "• Your settings and unfinished steps: timezone, quiet hours, your daily digest, a task form you have started (for 7 days) and a confirmation button waiting for your press (until it expires).",
          "• Only if you agree (/consent): your messages in those groups, encrypted (text, group, date, what they reply to), so your team can turn a message into a task later and tasks keep their context.",
          "• Your consent choices, and an audit trail of privacy actions that names people only by a keyed hash.",
          "• On your device only, the app keeps the last task list it showed you (titles included), so it opens at once: it is replaced whenever the app loads the list, removed when you delete your data in the app or your session is refused, and never put in Telegram's cloud storage. After /delete in the chat it goes the next time you open the app.",
        ],
      },
      {
        heading: "What I do not keep",
        paragraphs: [
          "Messages of members who have not agreed (except the words a teammate copies into a task, above), messages of bots, service messages and files. No analytics, no advertising, nothing is sold or shared.",
        ],
      },
      {
        heading: "How long",
        paragraphs: [
          `Group messages are deleted ${retentionDays} days after they were sent, or at once when you withdraw consent and ask me to. Tasks stay until the team deletes them, including a task's copy of a message's words after the message itself is gone (only its link to the message expires with it). Everything about you goes when you use /delete, except that the record of an admin changing the retention period or purging stays, without their name.`,
        ],
      },
      {
        heading: "Who can see it",
        paragraphs: [
          "Members of a group see that group's tasks and, in the app, its recorded messages. Private tasks are seen only by their creator and assignee and never appear in a group. I never post your personal data into a group.",
        ],
      },
      {
        heading: "Your choices",
        paragraphs: [
          "• /consent: give or withdraw consent to recording your messages.",
          "• /export: a copy of everything about you, as a JSON file.",
          "• /delete: erase your data. Team tasks stay with the team, without your name; tasks made from your messages stay with the team too, with the words they copied, but no longer linked to you or to your message.",
        ],
      },
    ],
  };
}

/** The notice as a Telegram HTML message. */
export function noticeAsMessage(notice: PrivacyNotice): string {
  const lines = [`🔒 <b>${escapeHtml(notice.title)}</b> (version ${notice.version})`];
  for (const section of notice.sections) {
    lines.push("", `<b>${escapeHtml(section.heading)}</b>`, ...section.paragraphs.map(escapeHtml));
  }
  return lines.join("\n");
}

/** The notice as a standalone page, for the Mini App and BotFather's privacy policy link. */
export function noticeAsPage(notice: PrivacyNotice): string {
  const body: string[] = [];
  for (const section of notice.sections) {
    body.push(`<h2>${escapeHtml(section.heading)}</h2>`);
    const items = section.paragraphs.filter((p) => p.startsWith("• "));
    const prose = section.paragraphs.filter((p) => !p.startsWith("• "));
    for (const paragraph of prose) body.push(`<p>${escapeHtml(paragraph)}</p>`);
    if (items.length > 0) {
      body.push(
        `<ul>${items.map((item) => `<li>${escapeHtml(item.slice(2))}</li>`).join("")}</ul>`,
      );
    }
  }
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(notice.title)}</title>`,
    "</head>",
    "<body>",
    `<h1>${escapeHtml(notice.title)}</h1>`,
    `<p>Version ${notice.version}</p>`,
    ...body,
    "</body>",
    "</html>",
  ].join("\n");
}
