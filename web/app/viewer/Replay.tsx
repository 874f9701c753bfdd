/**
 * A past show, replayed: the VOD, its chat in sync with the playhead (from
 * `GET /api/v1/shows/{id}/chat`), and the products as they were pinned at
 * their moments (from `GET /api/v1/shows/{id}/video`), still for sale.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { api, ok, type Schemas } from "../api/client";
import { useSignedIn } from "../api/session";
import { Player } from "./Player";
import { ProductCard } from "./ProductCard";

type Show = Schemas["Show"];
type Message = Schemas["ReplayedMessage"];
type Pin = Schemas["VideoPin"];
type Product = Schemas["Product"];

/** Chat lines shown up to the playhead. */
const SHOWN = 100;

export function Replay({ show }: { show: Show }) {
  const account = useSignedIn();
  const [messages, setMessages] = useState<Message[]>([]);
  const [pins, setPins] = useState<Pin[]>([]);
  const [products, setProducts] = useState<Record<string, Product>>({});
  const [time, setTime] = useState(0);

  useEffect(() => {
    void (async () => {
      const chat = ok(await api.GET("/api/v1/shows/{id}/chat", { params: { path: { id: show.show_id }, query: { from: "0" } } }));
      setMessages(chat.messages);
      const video = ok(await api.GET("/api/v1/shows/{id}/video", { params: { path: { id: show.show_id } } }));
      setPins(video.pins);
      const ids = [...new Set(video.pins.map((pin) => pin.product_id))];
      const read = await Promise.all(ids.map((id) => api.GET("/api/v1/products/{id}", { params: { path: { id } } })));
      setProducts(Object.fromEntries(read.flatMap((product) => (product.data ? [[product.data.product_id, product.data]] : []))));
    })();
  }, [show.show_id]);

  const said = useMemo(() => messages.filter((m) => (m.offset_s ?? 0) <= time).slice(-SHOWN), [messages, time]);
  const pinned = [...pins].reverse().find((pin) => pin.offset_s <= time);
  const product = pinned ? products[pinned.product_id] : undefined;

  return (
    <main class="viewer">
      <div class="stage">
        <Player manifestUrl={show.manifest_url} onTime={setTime} replay />
        <header class="show-head">
          <h1>{show.title}</h1>
          <p>
            Replay ·{" "}
            <a href={`/channels/${encodeURIComponent(show.channel ?? show.creator)}`}>{show.channel ?? show.creator}</a>
          </p>
        </header>
      </div>
      <aside class="side">
        {product && <ProductCard product={product} available={product.stock.available} signedIn={!!account} />}
        <section class="chat" aria-label="Chat replay">
          <ol class="chat-list" data-testid="chat-replay">
            {said.map((message) => (
              <li key={message.id} class="chat-line">
                <b class="chat-user">{message.user}</b> <span class="chat-text">{message.text}</span>
              </li>
            ))}
          </ol>
          {said.length === 0 && <p class="hint">Chat appears here as the replay reaches it.</p>}
        </section>
      </aside>
    </main>
  );
}
