/** `/search?q=`: shows, channels and products whose words start with what was typed. */
import { useEffect, useState } from "preact/hooks";
import { api, ok, type Schemas } from "../api/client";
import { price } from "../money";
import { ShowGrid } from "./Browse";

type Results = Schemas["SearchResults"];

export function Search() {
  const q = new URLSearchParams(location.search).get("q") ?? "";
  const [results, setResults] = useState<Results | null>(null);

  useEffect(() => {
    document.title = `${q} · Search · Cartcast`;
    setResults(null);
    if (!q.trim()) return;
    void (async () => setResults(ok(await api.GET("/api/v1/search", { params: { query: { q, limit: 20 } } }))))();
  }, [q]);

  return (
    <main class="browse">
      <h1>Results for “{q}”</h1>
      {!results ? (
        <p class="empty">{q.trim() ? "Searching…" : "Type something to search for."}</p>
      ) : (
        <>
          <section aria-labelledby="found-shows">
            <h2 id="found-shows">Shows</h2>
            <ShowGrid shows={results.shows} empty="No show matches." />
          </section>
          <section aria-labelledby="found-channels">
            <h2 id="found-channels">Channels</h2>
            {results.channels.length === 0 ? (
              <p class="empty">No channel matches.</p>
            ) : (
              <ul class="links">
                {results.channels.map((channel) => (
                  <li key={channel.channel_id}>
                    <a href={`/channels/${encodeURIComponent(channel.handle ?? channel.channel_id)}`}>{channel.display_name}</a>{" "}
                    <span class="hint">{channel.followers} followers</span>
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section aria-labelledby="found-products">
            <h2 id="found-products">Products</h2>
            {results.products.length === 0 ? (
              <p class="empty">No product matches.</p>
            ) : (
              <ul class="links">
                {results.products.map((product) => (
                  <li key={product.product_id}>
                    {product.title} <span class="hint">{price(product.price_minor, product.currency)}</span>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </main>
  );
}
