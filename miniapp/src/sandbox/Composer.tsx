import { useId, useState } from "preact/hooks";
import type { BotCommand, SandboxMessage } from "./contract.ts";
import { preview } from "./Message.tsx";

const TYPING_COMMAND = /^\/(\w*)$/;

/**
 * The message field: Enter sends; typing "/" lists the bot's commands (from
 * setMyCommands), picked with the arrows and Enter or Tab, or by a click. Left of it, the
 * chat's menu button, as in Telegram: the Mini App where the bot set one up (private chats),
 * else the list of commands.
 */
export function Composer(props: {
  commands: BotCommand[];
  replyTo: SandboxMessage | null;
  onCancelReply(): void;
  onSend(text: string): Promise<boolean>;
  /** The menu button's text when it opens the Mini App; null when it lists the commands. */
  appButton: string | null;
  onOpenApp(): void;
  disabled: boolean;
}) {
  const [draft, setDraft] = useState("");
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState(false);
  const [sending, setSending] = useState(false);
  const listId = useId();
  const typed = TYPING_COMMAND.exec(draft);
  const matches =
    typed && !dismissed
      ? props.commands.filter((c) => c.command.startsWith((typed[1] ?? "").toLowerCase()))
      : [];
  const open = matches.length > 0;
  const chosen = open ? Math.min(active, matches.length - 1) : -1;

  const change = (value: string) => {
    setDraft(value);
    setActive(0);
    setDismissed(false);
  };
  const pick = (command: BotCommand) => change(`/${command.command} `);
  const send = async () => {
    const text = draft.trim();
    if (!text || sending) return;
    setSending(true);
    const sent = await props.onSend(text);
    setSending(false);
    if (sent) change("");
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (!open) return;
    const command = matches[chosen];
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      setActive((chosen + step + matches.length) % matches.length);
    } else if ((event.key === "Enter" || event.key === "Tab") && command) {
      // A command with nothing after it is sent as it is, as Telegram does on Enter.
      if (event.key === "Enter" && draft === `/${command.command}`) return;
      event.preventDefault();
      pick(command);
    } else if (event.key === "Escape") {
      event.preventDefault();
      setDismissed(true);
    }
  };

  return (
    <div class="composer">
      {props.replyTo && (
        <div class="reply-bar">
          <div class="quote">
            <span class="quote-author">Reply to {props.replyTo.from.firstName}</span>
            <span class="quote-text">{preview(props.replyTo)}</span>
          </div>
          <button
            type="button"
            class="icon-button"
            aria-label="Cancel reply"
            onClick={props.onCancelReply}
          >
            ✕
          </button>
        </div>
      )}
      {open && (
        <div class="command-menu" id={listId} role="listbox" aria-label="Commands">
          {matches.map((command, i) => (
            // biome-ignore lint/a11y/useKeyWithClickEvents: the field's arrows and Enter choose
            <div
              key={command.command}
              id={`${listId}-${i}`}
              role="option"
              tabIndex={-1}
              aria-selected={i === chosen}
              class={i === chosen ? "command active" : "command"}
              onMouseDown={(event) => event.preventDefault()}
              onClick={() => pick(command)}
            >
              <span class="command-name">/{command.command}</span>
              <span class="command-description">{command.description}</span>
            </div>
          ))}
        </div>
      )}
      <form
        class="composer-row"
        onSubmit={(event) => {
          event.preventDefault();
          void send();
        }}
      >
        {props.appButton === null ? (
          <button
            type="button"
            class="menu-button"
            aria-label="Commands"
            disabled={props.disabled || props.commands.length === 0}
            onClick={() => change("/")}
          >
            Menu
          </button>
        ) : (
          <button type="button" class="menu-button" onClick={props.onOpenApp}>
            {props.appButton}
          </button>
        )}
        <input
          type="text"
          class="message-input"
          aria-label="Message"
          placeholder="Message"
          autocomplete="off"
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={open}
          aria-controls={open ? listId : undefined}
          aria-activedescendant={open ? `${listId}-${chosen}` : undefined}
          value={draft}
          disabled={props.disabled}
          onInput={(event) => change(event.currentTarget.value)}
          onKeyDown={onKeyDown}
        />
        <button
          type="submit"
          class="send-button"
          aria-label="Send"
          disabled={props.disabled || sending || draft.trim() === ""}
        >
          <span aria-hidden="true">➤</span>
        </button>
      </form>
    </div>
  );
}
