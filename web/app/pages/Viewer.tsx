/**
 * `/shows/{id}`: watching a show — the player, the pinned product to buy,
 * reactions, the poll and the chat; once it has ended, its replay.
 * Phone-first: one column at 390 px, the chat beside the video on a desktop.
 */
import { useEffect, useState } from "preact/hooks";
import type { Schemas } from "../api/client";
import { useModerator } from "../api/moderation";
import { useShow } from "../api/show";
import { useSignedIn } from "../api/session";
import { useRoom } from "../live/room";
import { Chat } from "../viewer/Chat";
import { ClipButton } from "../viewer/ClipButton";
import { Player, preloadPlayer } from "../viewer/Player";
import { Poll } from "../viewer/Poll";
import { ProductCard } from "../viewer/ProductCard";
import { Reactions } from "../viewer/Reactions";
import { Replay } from "../viewer/Replay";

type Show = Schemas["Show"];

/** How often the page looks at the show's status (scheduled → live → ended). */
const STATUS_EVERY_MS = 10_000;

export function Viewer({ showId }: { showId: string }) {
  // Every show page plays something (live or replay): fetch the player beside the show.
  useEffect(preloadPlayer, []);
  const { show, missing } = useShow(showId, { everyMs: STATUS_EVERY_MS });

  useEffect(() => {
    if (show) document.title = `${show.title} · Cartcast`;
  }, [show?.title]);

  if (missing) return <p class="empty">This show does not exist.</p>;
  if (!show) return <p class="empty">Loading…</p>;
  return show.status === "ended" ? <Replay show={show} /> : <LiveShow show={show} />;
}

function LiveShow({ show }: { show: Show }) {
  const user = useSignedIn();
  const { room, socket } = useRoom(show.show_id);
  const moderator = useModerator(show, user);
  // A viewer paying for a hold keeps the card even if the creator unpins it meanwhile.
  const [engaged, setEngaged] = useState(false);
  const [lastPinned, setLastPinned] = useState(room.pinned);
  useEffect(() => {
    if (room.pinned) setLastPinned(room.pinned);
  }, [room.pinned]);
  const pinned = room.pinned ?? (engaged ? lastPinned : null);
  const viewers = room.viewers ?? show.viewers;
  return (
    <main class="viewer">
      <div class="stage">
        {show.status === "scheduled" ? (
          <div class="not-yet">
            <p>Starts {show.scheduled_at ? new Date(show.scheduled_at).toLocaleString() : "soon"}</p>
          </div>
        ) : (
          <Player manifestUrl={show.manifest_url} onState={(state) => socket?.player(state)} />
        )}
        <header class="show-head">
          <h1>{show.title}</h1>
          <p>
            {show.status === "live" && <span class="live-badge">LIVE</span>}{" "}
            <span data-testid="viewers">{viewers.watching} watching</span> ·{" "}
            <a href={`/channels/${encodeURIComponent(show.channel ?? show.creator)}`}>{show.channel ?? show.creator}</a>
          </p>
          {room.raid && (
            <p class="raid" role="status">
              The show moves on: <a href={`/shows/${room.raid.show_id}`}>follow the raid to {room.raid.channel}</a>
            </p>
          )}
        </header>
        <Reactions totals={room.reactions} socket={socket} canReact={!!user} />
        {user && show.status === "live" && <ClipButton showId={show.show_id} liveAt={show.live_at} />}
      </div>
      <aside class="side">
        {pinned && (
          <ProductCard
            product={pinned}
            available={room.stock[pinned.product_id] ?? pinned.stock.available}
            signedIn={!!user}
            onEngaged={setEngaged}
          />
        )}
        {room.poll && (
          <Poll poll={room.poll} voted={room.voted[room.poll.poll_id]} socket={socket} canVote={!!user} />
        )}
        <Chat room={room} socket={socket} user={user?.user ?? null} moderator={moderator} />
      </aside>
    </main>
  );
}
