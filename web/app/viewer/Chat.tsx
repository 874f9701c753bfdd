/**
 * The show's chat: history and new messages as plain text (never markup),
 * deletions removing a message for everyone, the creator's highlight, a
 * form that counts down when the rate limit or slow mode refuses a message,
 * and the refusals moderation gives (banned word, followers only, timeout,
 * ban). The show's creator and moderators get Delete, Timeout and Ban on
 * each message.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { ChatMessage } from "@gen/frames";
import { problemText } from "../api/client";
import { type Moderator, TIMEOUT_S, ban, deleteMessage } from "../api/moderation";
import type { Room } from "../live/room";
import type { LiveSocket } from "../live/socket";

/** The longest message the gateway takes (characters). */
const MAX_CHARS = 500;

interface Props {
  room: Room;
  socket: LiveSocket | null;
  /** Null for anonymous viewers, who are asked to sign in. */
  user: string | null;
  /** Set when the user may moderate this chat. */
  moderator?: Moderator | null;
}

export function Chat({ room, socket, user, moderator = null }: Props) {
  const list = useRef<HTMLOListElement>(null);
  const [text, setText] = useState("");
  const [waitUntil, setWaitUntil] = useState(0);
  const [sentAt, setSentAt] = useState(0);
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    const element = list.current;
    if (element) element.scrollTop = element.scrollHeight;
  }, [room.chat.length]);

  const refusal = room.refusal;
  useEffect(() => {
    // Reactions are refused with the same code: count down only for a message just sent.
    if (refusal?.retry_after_ms && refusal.at - sentAt < 3000) setWaitUntil(refusal.at + refusal.retry_after_ms);
  }, [refusal, sentAt]);

  useEffect(() => {
    if (waitUntil <= now) return;
    const timer = window.setTimeout(() => setNow(Date.now()), 200);
    return () => clearTimeout(timer);
  }, [waitUntil, now]);

  const waitS = Math.max(0, Math.ceil((waitUntil - now) / 1000));
  const send = (event: Event) => {
    event.preventDefault();
    const trimmed = text.trim();
    if (!trimmed || waitS > 0) return;
    if (socket?.send({ type: "chat", text: trimmed })) {
      setText("");
      setSentAt(Date.now());
    }
  };

  return (
    <section class="chat" aria-label="Chat">
      {room.highlight && (
        <p class="chat-highlight" data-testid="highlight">
          <Line message={room.highlight} />
        </p>
      )}
      <ol class="chat-list" ref={list} aria-live="polite" data-testid="chat">
        {room.chat.map((message) => (
          <li key={message.id} data-id={message.id} class={message.badge ? `chat-line ${message.badge}` : "chat-line"}>
            <Line message={message} />
            {moderator && message.user !== user && message.badge !== "creator" && <Tools moderator={moderator} message={message} />}
          </li>
        ))}
      </ol>
      {refusal && refusal.code !== "rate_limited" && Date.now() - refusal.at < 8000 && (
        <p class="chat-refusal" role="alert">
          {refusal.message}
        </p>
      )}
      {room.connection === "banned" ? (
        <p class="chat-refusal" role="alert">
          You are banned from this channel's chat.
        </p>
      ) : user ? (
        <form class="chat-form" onSubmit={send}>
          <label class="visually-hidden" for="chat-text">
            Message
          </label>
          <input
            id="chat-text"
            value={text}
            maxLength={MAX_CHARS}
            autocomplete="off"
            placeholder="Say something"
            onInput={(event) => setText((event.currentTarget as HTMLInputElement).value)}
          />
          <button type="submit" disabled={waitS > 0 || !text.trim()}>
            {waitS > 0 ? `Wait ${waitS}s` : "Send"}
          </button>
        </form>
      ) : (
        <p class="chat-signin">
          <a href={`/signin?next=${encodeURIComponent(location.pathname)}`}>Sign in to chat</a>
        </p>
      )}
    </section>
  );
}

function Line({ message }: { message: ChatMessage }) {
  return (
    <>
      <b class="chat-user">{message.user}</b>
      {message.badge && <span class="badge">{message.badge}</span>} <span class="chat-text">{message.text}</span>
    </>
  );
}

/** A moderator's tools for one message, behind a small button so the chat stays readable. */
function Tools({ moderator, message }: { moderator: Moderator; message: ChatMessage }) {
  const [open, setOpen] = useState(false);
  const [said, setSaid] = useState<string | null>(null);
  const act = async (action: () => Promise<string | void>) => {
    try {
      setSaid((await action()) ?? null);
    } catch (error) {
      setSaid(problemText(error));
    }
    setOpen(false);
  };
  const { role, showId, channel } = moderator;
  return (
    <span class="tools">
      <button type="button" class="link" aria-expanded={open} aria-label={`Moderate ${message.user}'s message`} onClick={() => setOpen(!open)}>
        ⋯
      </button>
      {open && (
        <span class="actions">
          <button type="button" class="secondary small" onClick={() => void act(() => deleteMessage(role, showId, message.id))}>
            Delete
          </button>
          <button type="button" class="secondary small" onClick={() => void act(() => ban(role, channel, message.user, TIMEOUT_S))}>
            Timeout
          </button>
          <button type="button" class="secondary small" onClick={() => void act(() => ban(role, channel, message.user, null))}>
            Ban
          </button>
        </span>
      )}
      {said && (
        <span class="hint" role="status">
          {" "}
          {said}
        </span>
      )}
    </span>
  );
}
