/**
 * The teams API's JSON (/api/teams/:id/members, /api/teams/:id/messages), shared with the
 * Mini App (`import type`). Imports nothing.
 */

/** GET /api/teams/:id/messages?limit=&cursor=: the query's parameters. */
export interface MessagesQuery {
  /** 1 to 100; 50 when left out. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface MemberJson {
  id: number;
  firstName: string;
  username: string | null;
}

/** GET /api/teams/:id/members. */
export interface MembersJson {
  members: MemberJson[];
}

export interface StoredMessageJson {
  chatId: number;
  messageId: number;
  authorId: number;
  text: string;
  date: string;
}

/** GET /api/teams/:id/messages: newest first. */
export interface MessagesJson {
  messages: StoredMessageJson[];
  /** Pass as `cursor` for the next page; null: no more. */
  nextCursor: string | null;
}
