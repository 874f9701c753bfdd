/**
 * The channel's standing chat rules, for every show: its moderators
 * (appoint, dismiss), the words its chat refuses, and who is banned or
 * timed out (unban). Each change is read back as of its answer.
 */
import { useEffect, useState } from "preact/hooks";
import { actionKey, api, as, ok, problemText, type Schemas } from "../api/client";

type Moderation = Schemas["ChannelModeration"];

/** Banned words as typed: one per line or separated by commas. */
function wordList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((word) => word.trim())
    .filter((word) => word !== "");
}

export function ChatRules({ channel }: { channel: string }) {
  const [rules, setRules] = useState<Moderation | null>(null);
  const [asOf, setAsOf] = useState<{ after?: number }>({});
  const [moderator, setModerator] = useState("");
  const [words, setWords] = useState("");
  const [said, setSaid] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    void (async () => {
      const answer = ok(await api.GET("/api/v1/channels/me/moderation", { params: { query: asOf }, headers: await as("creator") }));
      setRules(answer);
      setWords(answer.banned_words.join("\n"));
    })();
  }, [asOf]);

  /** Runs one change; reads the rules again as of its answer, or says why it was refused. */
  const change = async (done: string, act: () => Promise<{ position?: number | null }>) => {
    try {
      const answer = await act();
      setSaid({ ok: true, text: done });
      setAsOf(answer.position == null ? {} : { after: answer.position });
    } catch (error) {
      setSaid({ ok: false, text: problemText(error) });
    }
  };

  const appoint = (event: Event) => {
    event.preventDefault();
    const user = moderator.trim();
    void change(`${user} moderates your chat.`, async () => {
      const params = { path: { user }, header: actionKey() };
      const answer = ok(await api.PUT("/api/v1/channels/me/moderators/{user}", { params, headers: await as("creator") }));
      setModerator("");
      return answer;
    });
  };
  const dismiss = (user: string) =>
    void change(`${user} no longer moderates.`, async () => {
      const params = { path: { user }, header: actionKey() };
      return ok(await api.DELETE("/api/v1/channels/me/moderators/{user}", { params, headers: await as("creator") }));
    });
  const saveWords = (event: Event) => {
    event.preventDefault();
    void change("Banned words saved.", async () => {
      const body = { words: wordList(words) };
      return ok(await api.PUT("/api/v1/channels/me/banned-words", { params: { header: actionKey() }, headers: await as("creator"), body }));
    });
  };
  const unban = (user: string) =>
    void change(`${user} may chat again.`, async () => {
      const params = { path: { channel, user }, header: actionKey() };
      return ok(await api.DELETE("/api/v1/channels/{channel}/bans/{user}", { params, headers: await as("creator") }));
    });

  return (
    <section class="panel" aria-labelledby="chat-rules">
      <h2 id="chat-rules">Chat rules</h2>
      <h3>Moderators</h3>
      {rules && rules.moderators.length === 0 && <p class="hint">Moderators delete messages, time out and ban in every show of yours.</p>}
      <ul class="mod-list" data-testid="moderators">
        {rules?.moderators.map((user) => (
          <li key={user}>
            <b>{user}</b>
            <button type="button" class="secondary small" onClick={() => dismiss(user)} aria-label={`Dismiss ${user}`}>
              Dismiss
            </button>
          </li>
        ))}
      </ul>
      <form class="inline" onSubmit={appoint}>
        <label for="moderator">Username</label>
        <input id="moderator" required value={moderator} onInput={(e) => setModerator((e.currentTarget as HTMLInputElement).value)} />
        <button type="submit" class="secondary">
          Appoint
        </button>
      </form>
      <h3>Banned words</h3>
      <form class="stack" onSubmit={saveWords}>
        <label for="banned-words" class="hint">
          One per line. A message holding one as a word, or a phrase anywhere, is refused.
        </label>
        <textarea id="banned-words" rows={3} value={words} onInput={(e) => setWords((e.currentTarget as HTMLTextAreaElement).value)} />
        <button type="submit" class="secondary">
          Save banned words
        </button>
      </form>
      <h3>Banned and timed out</h3>
      {rules && rules.bans.length === 0 && <p class="hint">Nobody.</p>}
      <ul class="mod-list" data-testid="bans">
        {rules?.bans.map((ban) => (
          <li key={ban.user}>
            <span>
              <b>{ban.user}</b> {ban.until ? `timed out until ${new Date(ban.until).toLocaleTimeString()}` : "banned"}
            </span>
            <button type="button" class="secondary small" onClick={() => unban(ban.user)} aria-label={`Unban ${ban.user}`}>
              Unban
            </button>
          </li>
        ))}
      </ul>
      {said && (
        <p class={said.ok ? "form-ok" : "form-problem"} role="status">
          {said.text}
        </p>
      )}
    </section>
  );
}
