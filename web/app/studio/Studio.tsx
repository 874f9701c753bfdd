/**
 * `/studio`: a creator's home — the channel's profile, its chat rules, a
 * new show with its products, and the channel's shows, each opening its
 * control room.
 */
import { useEffect, useState } from "preact/hooks";
import { ApiProblem, api, as, ok, type Schemas } from "../api/client";
import { useSignedIn } from "../api/session";
import { ShowGrid } from "../pages/Browse";
import { ChatRules } from "./ChatRules";
import { NewShow } from "./NewShow";

type Channel = Schemas["Channel"];

export function Studio() {
  const account = useSignedIn();
  const [channel, setChannel] = useState<Channel | null>(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    document.title = "Studio · Cartcast";
  }, []);

  useEffect(() => {
    if (!account) return;
    void (async () => {
      const answer = await api.GET("/api/v1/channels/{channel}", { params: { path: { channel: account.user } } });
      setChannel(answer.data ?? null);
    })();
  }, [account?.user, version]);

  if (!account?.roles.includes("creator")) {
    return (
      <main class="empty">
        <h1>Studio</h1>
        <p>The studio is for creators. An admin of this deployment grants the creator role.</p>
      </main>
    );
  }
  const shows = channel ? [...(channel.live_show ? [channel.live_show] : []), ...channel.upcoming, ...channel.past] : [];
  return (
    <main class="studio">
      <h1>Studio</h1>
      <div class="studio-grid">
        <NewShow onCreated={() => setVersion((v) => v + 1)} />
        <Profile channel={channel} user={account.user} onSaved={() => setVersion((v) => v + 1)} />
        <ChatRules channel={account.user} />
      </div>
      <section aria-labelledby="my-shows">
        <h2 id="my-shows">Your shows</h2>
        <ShowGrid shows={channel ? shows : []} empty="No shows yet: create one above." hrefOf={(id) => `/studio/shows/${id}`} />
      </section>
    </main>
  );
}

function Profile({ channel, user, onSaved }: { channel: Channel | null; user: string; onSaved(): void }) {
  const [handle, setHandle] = useState(channel?.handle ?? "");
  const [name, setName] = useState(channel?.display_name ?? "");
  const [description, setDescription] = useState(channel?.description ?? "");
  const [said, setSaid] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    setHandle(channel?.handle ?? "");
    setName(channel?.display_name ?? "");
    setDescription(channel?.description ?? "");
  }, [channel?.channel_id]);

  const save = async (event: Event) => {
    event.preventDefault();
    try {
      ok(
        await api.PUT("/api/v1/channels/me", {
          headers: await as("creator"),
          body: { handle, display_name: name, description, links: [] },
        }),
      );
      setSaid({ ok: true, text: "Saved." });
      onSaved();
    } catch (error) {
      const text =
        error instanceof ApiProblem && error.code === "handle_taken"
          ? "That handle is taken."
          : error instanceof ApiProblem
            ? error.message
            : String(error);
      setSaid({ ok: false, text });
    }
  };

  return (
    <section class="panel" aria-labelledby="profile">
      <h2 id="profile">Channel</h2>
      <form class="stack" onSubmit={(event) => void save(event)}>
        <label for="handle">Handle</label>
        <input id="handle" required value={handle} placeholder={user} onInput={(e) => setHandle((e.currentTarget as HTMLInputElement).value)} />
        <label for="display-name">Display name</label>
        <input id="display-name" required value={name} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
        <label for="description">About</label>
        <textarea id="description" rows={3} value={description} onInput={(e) => setDescription((e.currentTarget as HTMLTextAreaElement).value)} />
        <button type="submit">Save channel</button>
        {said && (
          <p class={said.ok ? "form-ok" : "form-problem"} role="status">
            {said.text}
          </p>
        )}
      </form>
      {channel && <p class="hint">{channel.followers} followers</p>}
    </section>
  );
}
