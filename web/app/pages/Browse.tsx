/** `/`: search, categories, what is live now (most watched first), then what is coming up; each a page at a time. */
import { useEffect, useState } from "preact/hooks";
import { api, ok, type Schemas } from "../api/client";
import { type Pages, usePages } from "../api/pages";
import { navigate } from "../router";

type Show = Schemas["Show"];
type Category = Schemas["Category"];

/** How often the lists are read again (counts and who is live move). */
const REFRESH_MS = 15_000;

/** The directory's shows of one status, a page at a time, read again every {@link REFRESH_MS}. */
function useDirectory(status: "live" | "scheduled", pageSize: number, category: string | null): Pages<Show> {
  return usePages<Show>(
    {
      read: async (cursor, limit) => {
        const sort = status === "live" ? "viewers" : "starts_at";
        const query = { status, sort, limit, ...(category ? { category } : {}), ...(cursor ? { cursor } : {}) } as const;
        return ok(await api.GET("/api/v1/shows", { params: { query } }));
      },
      keyOf: (show) => show.show_id,
      pageSize,
      refreshMs: REFRESH_MS,
    },
    [status, category],
  );
}

export function Browse() {
  const [categories, setCategories] = useState<Category[]>([]);
  const [category, setCategory] = useState<string | null>(null);
  const [q, setQ] = useState("");
  const live = useDirectory("live", 24, category);
  const upcoming = useDirectory("scheduled", 12, category);

  useEffect(() => {
    document.title = "Cartcast";
    void (async () => setCategories(ok(await api.GET("/api/v1/categories", {})).items))();
  }, []);

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
        <ShowGrid shows={live.items} empty="Nobody is live right now." />
        <MoreButton pages={live} label="More live shows" />
      </section>
      <section aria-labelledby="upcoming">
        <h2 id="upcoming">Coming up</h2>
        <ShowGrid shows={upcoming.items} empty="Nothing scheduled yet." />
        <MoreButton pages={upcoming} label="More upcoming shows" />
      </section>
    </main>
  );
}

/** Reads the next page of `pages` into the list above it; absent on the last page. */
export function MoreButton<T>({ pages, label }: { pages: Pages<T>; label: string }) {
  const more = pages.more;
  if (!more) return null;
  return (
    <button type="button" class="secondary more" disabled={pages.busy} onClick={() => void more()}>
      {pages.busy ? "Loading…" : label}
    </button>
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
