/**
 * `/channels/{channel}`: a channel — who, how many follow (and Follow), the
 * show on air, what is coming, past shows to replay with their chat and
 * pins (a page at a time), and clips.
 */
import { useEffect, useState } from "preact/hooks";
import { api, ok, type Schemas } from "../api/client";
import { usePages } from "../api/pages";
import { useSignedIn } from "../api/session";
import { MoreButton, ShowGrid } from "./Browse";

type Channel = Schemas["Channel"];
type Video = Schemas["Video"];
type Clip = Schemas["Clip"];

/** Past shows read at a time. */
const PAGE = 12;

export function ChannelPage({ channelId }: { channelId: string }) {
  const account = useSignedIn();
  const [channel, setChannel] = useState<Channel | null>(null);
  const [clips, setClips] = useState<Clip[]>([]);
  const [missing, setMissing] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void (async () => {
      const answer = await api.GET("/api/v1/channels/{channel}", { params: { path: { channel: channelId } } });
      if (answer.response.status === 404) setMissing(true);
      else setChannel(ok(answer));
    })();
  }, [channelId, account?.user]);
  const videos = usePages<Video>(
    {
      read: async (cursor, limit) => {
        const query = { limit, ...(cursor ? { cursor } : {}) };
        const answer = await api.GET("/api/v1/channels/{channel}/videos", { params: { path: { channel: channelId }, query } });
        if (!answer.data) return { items: [] };
        if (!cursor) setClips(answer.data.clips);
        return answer.data;
      },
      keyOf: (video) => video.show_id,
      pageSize: PAGE,
    },
    [channelId],
  );

  useEffect(() => {
    if (channel) document.title = `${channel.display_name} · Cartcast`;
  }, [channel?.display_name]);

  if (missing) return <p class="empty">There is no such channel.</p>;
  if (!channel) return <p class="empty">Loading…</p>;

  const follow = async (following: boolean) => {
    setBusy(true);
    try {
      const params = { params: { path: { channel: channelId } } };
      const answer = ok(following ? await api.PUT("/api/v1/channels/{channel}/follow", params) : await api.DELETE("/api/v1/channels/{channel}/follow", params));
      setChannel({ ...channel, following: answer.following, followers: answer.followers });
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="browse channel">
      <header class="channel-head">
        <h1>{channel.display_name}</h1>
        <p class="hint">
          @{channel.handle ?? channel.channel_id} · <span data-testid="followers">{channel.followers}</span> followers
        </p>
        {channel.description && <p>{channel.description}</p>}
        {account ? (
          account.user !== channel.channel_id && (
            <button type="button" class={channel.following ? "secondary" : ""} aria-pressed={!!channel.following} disabled={busy} onClick={() => void follow(!channel.following)}>
              {channel.following ? "Following" : "Follow"}
            </button>
          )
        ) : (
          <a class="button" href={`/signin?next=${encodeURIComponent(location.pathname)}`}>
            Sign in to follow
          </a>
        )}
      </header>
      {channel.live_show && (
        <section aria-labelledby="on-air">
          <h2 id="on-air">On air</h2>
          <ShowGrid shows={[channel.live_show]} empty="" />
        </section>
      )}
      <section aria-labelledby="coming-up">
        <h2 id="coming-up">Coming up</h2>
        <ShowGrid shows={channel.upcoming} empty="Nothing scheduled." />
      </section>
      <section aria-labelledby="past-shows">
        <h2 id="past-shows">Past shows</h2>
        {!videos.items || videos.items.length === 0 ? (
          <p class="empty">No past shows yet.</p>
        ) : (
          <ul class="grid">
            {videos.items.map((video) => (
              <li key={video.show_id} class="tile">
                <a href={`/shows/${video.show_id}`} data-show={video.show_id}>
                  <img src={video.thumbnail_url} alt="" loading="lazy" width={320} height={180} />
                  <span class="tile-title">{video.title}</span>
                </a>
                <span class="tile-meta">
                  {video.duration_s != null && `${Math.round(video.duration_s / 60)} min · `}
                  {video.peak_viewers} watching at peak · {video.pins.length} products shown
                </span>
              </li>
            ))}
          </ul>
        )}
        <MoreButton pages={videos} label="More past shows" />
      </section>
      {clips.length > 0 && (
        <section aria-labelledby="clips">
          <h2 id="clips">Clips</h2>
          <ul class="links">
            {clips.map((clip) =>
              clip.url ? (
                <li key={clip.clip_id}>
                  <a href={clip.url}>{clip.reason ?? `${clip.seconds} s clip`}</a>
                </li>
              ) : null,
            )}
          </ul>
        </section>
      )}
    </main>
  );
}
