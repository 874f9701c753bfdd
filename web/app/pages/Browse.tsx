/** `/`: search, categories, what is live now (most watched first), then what is coming up. */
import { useEffect, useState } from "preact/hooks";
import { api, ok, type Schemas } from "../api/client";
import { navigate } from "../router";

type Show = Schemas["Show"];
type Category = Schemas["Category"];

export function Browse() {
  const [live, setLive] = useState<Show[] | null>(null);
  const [upcoming, setUpcoming] = useState<Show[] | null>(null);
  const [categories, setCategories] = useState<Category[]>([]);
  const [category, setCategory] = useState<string | null>(null);
  const [q, setQ] = useState("");

  useEffect(() => {
    document.title = "Cartcast";
    void (async () => setCategories(ok(await api.GET("/api/v1/categories", {})).items))();
  }, []);

  useEffect(() => {
    const filter = category ? { category } : {};
    const load = async () => {
      const [now, next] = await Promise.all([
        api.GET("/api/v1/shows", { params: { query: { status: "live", sort: "viewers", limit: "24", ...filter } } }),
        api.GET("/api/v1/shows", { params: { query: { status: "scheduled", sort: "starts_at", limit: "12", ...filter } } }),
      ]);
      setLive(ok(now).items);
      setUpcoming(ok(next).items);
    };
    void load();
    const timer = window.setInterval(() => void load(), 15_000);
    return () => clearInterval(timer);
  }, [category]);

  const search = (event: Event) => {
    event.preventDefault();
    if (q.trim()) navigate(`/search?q=${encodeURIComponent(q.trim())}`);
  };

  return (
    <main class="browse">
      <h1 class="visually-hidden">Browse shows</h1>
      <form class="search" role="search" onSubmit={search}>
        <label class="visually-hidden" for="q">
          Search shows, channels and products
        </label>
        <input id="q" type="search" placeholder="Search shows, channels, products" value={q} onInput={(e) => setQ((e.currentTarget as HTMLInputElement).value)} />
        <button type="submit">Search</button>
      </form>
      {categories.length > 0 && (
        <nav class="chips" aria-label="Categories">
          <button type="button" aria-pressed={category === null} onClick={() => setCategory(null)}>
            All
          </button>
          {categories.map((c) => (
            <button type="button" key={c.id} aria-pressed={category === c.id} onClick={() => setCategory(c.id)}>
              {c.name}
            </button>
          ))}
        </nav>
      )}
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
