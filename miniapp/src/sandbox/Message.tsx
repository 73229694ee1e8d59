import type { InlineButton, SandboxMessage } from "./contract.ts";
import { appLinkStart } from "./launch.ts";
import { renderTelegramHtml, safeHref } from "./telegram-html.ts";

export interface MessageActions {
  press(message: SandboxMessage, data: string): void;
  openApp(startParam: string | null): void;
  reply(message: SandboxMessage): void;
}

const TIME = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/** One message as Telegram shows it: bubble, reply quote, document, inline keyboard. */
export function Message(props: {
  message: SandboxMessage;
  mine: boolean;
  showAuthor: boolean;
  replied: SandboxMessage | null;
  botUsername: string;
  pressing: boolean;
  actions: MessageActions;
}) {
  const { message, actions } = props;
  const body = message.from.isBot && message.html ? renderTelegramHtml(message.html) : message.text;
  return (
    <li class={props.mine ? "message out" : "message in"} data-message-id={message.id}>
      <div class="bubble">
        {props.showAuthor && <div class="author">{message.from.firstName}</div>}
        {message.replyTo !== null && (
          <div class="quote">
            <span class="quote-author">{props.replied?.from.firstName ?? "Message"}</span>
            <span class="quote-text">{props.replied ? preview(props.replied) : "deleted"}</span>
          </div>
        )}
        {body !== "" && <div class="text">{body}</div>}
        {message.document && (
          <a class="document" href={message.document.url} download={message.document.fileName}>
            <span class="document-icon" aria-hidden="true">
              ⤓
            </span>
            {message.document.fileName}
          </a>
        )}
        <div class="meta">
          {message.edited && <span>edited</span>}
          <time dateTime={message.date}>{TIME.format(new Date(message.date))}</time>
        </div>
      </div>
      {message.buttons.length > 0 && (
        <div class="keyboard" aria-busy={props.pressing}>
          {message.buttons.map((row, r) => (
            <div class="keyboard-row" key={r}>
              {row.map((button, b) => (
                <KeyboardButton
                  key={b}
                  button={button}
                  onPress={(data) => actions.press(message, data)}
                  onOpenApp={actions.openApp}
                  botUsername={props.botUsername}
                  disabled={props.pressing}
                />
              ))}
            </div>
          ))}
        </div>
      )}
      <button
        type="button"
        class="reply-button"
        aria-label={`Reply to ${message.from.firstName}`}
        onClick={() => actions.reply(message)}
      >
        Reply
      </button>
    </li>
  );
}

function KeyboardButton(props: {
  button: InlineButton;
  onPress(data: string): void;
  onOpenApp(startParam: string | null): void;
  botUsername: string;
  disabled: boolean;
}) {
  const { button } = props;
  if (button.data !== undefined) {
    const data = button.data;
    return (
      <button
        type="button"
        class="key"
        disabled={props.disabled}
        onClick={() => props.onPress(data)}
      >
        {button.text}
      </button>
    );
  }
  if (button.webApp !== undefined) {
    return (
      <button type="button" class="key" onClick={() => props.onOpenApp(null)}>
        {button.text}
      </button>
    );
  }
  if (button.url !== undefined) {
    const start = appLinkStart(button.url, props.botUsername);
    if (start !== null) {
      return (
        <button type="button" class="key" onClick={() => props.onOpenApp(start || null)}>
          {button.text}
        </button>
      );
    }
    const href = safeHref(button.url);
    if (!href) {
      return (
        <button type="button" class="key" disabled>
          {button.text}
        </button>
      );
    }
    return (
      <a class="key" href={href} target="_blank" rel="noopener noreferrer">
        {button.text}
        <span aria-hidden="true"> ↗</span>
      </a>
    );
  }
  return (
    <button type="button" class="key" disabled>
      {button.text}
    </button>
  );
}

/** A message in one short line, for reply quotes. */
export function preview(message: SandboxMessage): string {
  const text = message.text || message.document?.fileName || "";
  const line = text.split("\n", 1)[0] ?? "";
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}
