/**
 * `/studio/shows/{id}`: the creator's control room for one show — OBS
 * settings, live status, the show's details (edit, reschedule, cancel), the
 * dashboard updating live, products (pin, add stock), polls, chat
 * moderation and a raid when the show ends.
 */
import { useEffect, useState } from "preact/hooks";
import { api, ok, type Schemas } from "../api/client";
import { useShow } from "../api/show";
import { useSignedIn } from "../api/session";
import { useRoom } from "../live/room";
import { Dashboard } from "./Dashboard";
import { Moderation } from "./Moderation";
import { Obs } from "./Obs";
import { PollControl } from "./PollControl";
import { Products } from "./Products";
import { Raid } from "./Raid";
import { ShowDetails } from "./ShowDetails";

type Product = Schemas["Product"];

/** How often the control room looks at the show's status (the socket does not carry it). */
const STATUS_EVERY_MS = 2000;

export function ControlRoom({ showId }: { showId: string }) {
  const account = useSignedIn();
  const [products, setProducts] = useState<Product[]>([]);
  const [productsVersion, setProductsVersion] = useState(0);
  const { room } = useRoom(showId, "creator");
  // Just created (`?after=` the creation's position): the first reads wait until the read model has it.
  const [createdAt] = useState(() => {
    const asked = Number(new URLSearchParams(location.search).get("after"));
    return Number.isInteger(asked) && asked > 0 ? { after: asked } : {};
  });
  const { show, missing, reload } = useShow(showId, { everyMs: STATUS_EVERY_MS, role: "creator", ...createdAt });

  useEffect(() => {
    void (async () => {
      const query = productsVersion === 0 ? createdAt : {};
      const answer = ok(await api.GET("/api/v1/shows/{id}/products", { params: { path: { id: showId }, query } }));
      setProducts(answer.items);
    })();
  }, [showId, productsVersion]);

  useEffect(() => {
    if (show) document.title = `${show.title} · Studio · Cartcast`;
  }, [show?.title]);

  if (missing) return <p class="empty">This show does not exist.</p>;
  if (!show) return <p class="empty">Loading…</p>;
  if (account && show.creator !== account.user) return <p class="empty">This show is another creator's.</p>;

  return (
    <main class="control">
      <header class="control-head">
        <h1>{show.title}</h1>
        <p>
          <span class={`status ${show.status}`} data-testid="status">
            {show.status === "live" ? "LIVE" : show.status}
          </span>{" "}
          <a href={`/shows/${show.show_id}`}>Viewer page</a>
        </p>
      </header>
      <div class="control-grid">
        <Dashboard dashboard={room.dashboard} viewers={room.viewers} products={products} />
        <Obs show={show} />
        <ShowDetails show={show} onChanged={reload} />
        <Products
          showId={show.show_id}
          products={products}
          pinned={room.pinned?.product_id ?? show.pinned_product_id ?? null}
          stock={room.stock}
          onChanged={() => setProductsVersion((v) => v + 1)}
        />
        <PollControl showId={show.show_id} poll={room.poll} />
        <Moderation show={show} room={room} />
        <Raid showId={show.show_id} live={show.status === "live"} />
      </div>
    </main>
  );
}
