/** `/`: what is live now (most watched first), then what is coming up. */
import { useEffect, useState } from "preact/hooks";
import { api, ok, type Schemas } from "../api/client";

type Show = Schemas["Show"];

export function Browse() {
  const [live, setLive] = useState<Show[] | null>(null);
  const [upcoming, setUpcoming] = useState<Show[] | null>(null);

  useEffect(() => {
    document.title = "Cartcast";
    const load = async () => {
      const [now, next] = await Promise.all([
        api.GET("/api/v1/shows", { params: { query: { status: "live", sort: "viewers", limit: "24" } } }),
        api.GET("/api/v1/shows", { params: { query: { status: "scheduled", sort: "starts_at", limit: "12" } } }),
      ]);
      setLive(ok(now).items);
      setUpcoming(ok(next).items);
    };
    void load();
    const timer = window.setInterval(() => void load(), 15_000);
    return () => clearInterval(timer);
  }, []);

  return (
    <main class="browse">
      <h1 class="visually-hidden">Browse shows</h1>
      <section aria-labelledby="live-now">
        <h2 id="live-now">Live now</h2>
        <ShowGrid shows={live} empty="Nobody is live right now." />
      </section>
      <section aria-labelledby="upcoming">
        <h2 id="upcoming">Coming up</h2>
        <ShowGrid shows={upcoming} empty="Nothing scheduled yet." />
      </section>
    </main>
  );
}

interface GridProps {
  shows: Show[] | null;
  empty: string;
  /** Where a tile leads; the viewer page unless said otherwise. */
  hrefOf?: (showId: string) => string;
}

export function ShowGrid({ shows, empty, hrefOf = (id) => `/shows/${id}` }: GridProps) {
  if (!shows) return <p class="empty">Loading…</p>;
  if (shows.length === 0) return <p class="empty">{empty}</p>;
  return (
    <ul class="grid">
      {shows.map((show) => (
        <li key={show.show_id} class="tile">
          <a href={hrefOf(show.show_id)} data-show={show.show_id}>
            {show.thumbnail_url ? (
              <img src={show.thumbnail_url} alt="" loading="lazy" width={320} height={180} />
            ) : (
              <div class="thumb-empty" aria-hidden="true" />
            )}
            <span class="tile-title">{show.title}</span>
          </a>
          <span class="tile-meta">
            {show.status === "live" ? (
              <>
                <span class="live-badge">LIVE</span> {show.viewers.watching} watching
              </>
            ) : show.scheduled_at ? (
              new Date(show.scheduled_at).toLocaleString()
            ) : (
              show.status
            )}{" "}
            · {show.channel ?? show.creator}
          </span>
        </li>
      ))}
    </ul>
  );
}
