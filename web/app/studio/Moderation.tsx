/**
 * The show's chat as moderators see it: each message with Delete, Timeout
 * (10 minutes) and Ban; slow mode and followers-only chat, as they stand;
 * a highlighted message from the creator.
 */
import { useEffect, useState } from "preact/hooks";
import { actionKey, api, as, ok, type Schemas } from "../api/client";
import { TIMEOUT_S, ban, deleteMessage } from "../api/moderation";
import type { Room } from "../live/room";

type Show = Schemas["Show"];

const SLOW_MODES = [0, 5, 10, 30, 60] as const;

export function Moderation({ show, room }: { show: Show; room: Room }) {
  const [slow, setSlow] = useState(0);
  const [followersOnly, setFollowersOnly] = useState(false);
  const [highlight, setHighlight] = useState("");
  const [said, setSaid] = useState<string | null>(null);
  const channel = show.channel ?? show.creator;

  useEffect(() => {
    void (async () => {
      const settings = ok(await api.GET("/api/v1/shows/{id}/chat-settings", { params: { path: { id: show.show_id } } }));
      setSlow(settings.slow_mode_s);
      setFollowersOnly(settings.followers_only);
    })();
  }, [show.show_id]);

  const remove = (messageId: string) => deleteMessage("creator", show.show_id, messageId);
  const silence = async (user: string, durationS: number | null) => setSaid(await ban("creator", channel, user, durationS));

  const setChat = async (settings: { slow_mode_s?: number; followers_only?: boolean }) => {
    if (settings.slow_mode_s !== undefined) setSlow(settings.slow_mode_s);
    if (settings.followers_only !== undefined) setFollowersOnly(settings.followers_only);
    ok(
      await api.PUT("/api/v1/shows/{id}/chat-settings", {
        params: { path: { id: show.show_id }, header: actionKey() },
        headers: await as("creator"),
        body: settings,
      }),
    );
  };

  const sendHighlight = async (event: Event) => {
    event.preventDefault();
    ok(
      await api.POST("/api/v1/shows/{id}/highlight", {
        params: { path: { id: show.show_id } },
        headers: await as("creator"),
        body: { text: highlight },
      }),
    );
    setHighlight("");
  };

  return (
    <section class="panel moderation" aria-labelledby="moderation">
      <h2 id="moderation">Chat</h2>
      <label class="inline">
        Slow mode{" "}
        <select value={slow} onChange={(e) => void setChat({ slow_mode_s: Number((e.currentTarget as HTMLSelectElement).value) })}>
          {SLOW_MODES.map((s) => (
            <option key={s} value={s}>
              {s === 0 ? "off" : `1 message / ${s} s`}
            </option>
          ))}
        </select>
      </label>
      <label class="check">
        <input
          type="checkbox"
          id="followers-only"
          checked={followersOnly}
          onChange={(e) => void setChat({ followers_only: (e.currentTarget as HTMLInputElement).checked })}
        />
        Followers only
      </label>
      <ol class="mod-list" data-testid="mod-chat">
        {room.chat.map((message) => (
          <li key={message.id} data-id={message.id}>
            <span>
              <b>{message.user}</b> <span class="chat-text">{message.text}</span>
            </span>
            {message.user !== show.creator && (
              <span class="actions">
                <button type="button" class="secondary small" onClick={() => void remove(message.id)} aria-label={`Delete ${message.user}'s message`}>
                  Delete
                </button>
                <button type="button" class="secondary small" onClick={() => void silence(message.user, TIMEOUT_S)} aria-label={`Time out ${message.user}`}>
                  Timeout
                </button>
                <button type="button" class="secondary small" onClick={() => void silence(message.user, null)} aria-label={`Ban ${message.user}`}>
                  Ban
                </button>
              </span>
            )}
          </li>
        ))}
      </ol>
      {said && <p role="status" class="form-ok">{said}</p>}
      <form class="inline" onSubmit={(event) => void sendHighlight(event)}>
        <label for="highlight">Highlight</label>
        <input id="highlight" required maxLength={500} value={highlight} onInput={(e) => setHighlight((e.currentTarget as HTMLInputElement).value)} />
        <button type="submit">Pin message</button>
      </form>
    </section>
  );
}
