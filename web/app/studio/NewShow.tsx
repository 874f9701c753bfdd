/** Creating a show: how it is listed, a time (now or later), and the products it sells, created on the way. */
import { useState } from "preact/hooks";
import { actionKey, api, as, ok, problemText } from "../api/client";
import { navigate } from "../router";
import { price } from "../money";
import { type Listing, ListingFields, NO_LISTING, startOf, tagList } from "./ListingFields";

interface Draft {
  title: string;
  priceMinor: number;
  currency: string;
  stock: number;
}

export function NewShow({ onCreated }: { onCreated(): void }) {
  const [listing, setListing] = useState<Listing>(NO_LISTING);
  const [products, setProducts] = useState<Draft[]>([]);
  const [draft, setDraft] = useState({ title: "", price: "", stock: "10" });
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const addProduct = (event: Event) => {
    event.preventDefault();
    const priceMinor = Math.round(Number(draft.price.replace(",", ".")) * 100);
    const stock = Number(draft.stock);
    if (!draft.title.trim() || !Number.isFinite(priceMinor) || priceMinor <= 0 || !Number.isInteger(stock) || stock < 0) {
      setProblem("A product needs a name, a price above 0 and a whole number in stock.");
      return;
    }
    setProblem(null);
    setProducts([...products, { title: draft.title.trim(), priceMinor, currency: "EUR", stock }]);
    setDraft({ title: "", price: "", stock: "10" });
  };

  const create = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const headers = await as("creator");
      const productIds: string[] = [];
      for (const product of products) {
        const created = ok(
          await api.POST("/api/v1/products", {
            params: { header: actionKey() },
            headers,
            body: {
              sku: `SKU-${crypto.randomUUID().slice(0, 8)}`,
              title: product.title,
              price_minor: product.priceMinor,
              currency: product.currency,
              stock: product.stock,
            },
          }),
        );
        productIds.push(created.product_id);
      }
      const show = ok(
        await api.POST("/api/v1/shows", {
          params: { header: actionKey() },
          headers,
          body: {
            title: listing.title,
            product_ids: productIds,
            scheduled_at: startOf(listing),
            category: listing.category || null,
            tags: tagList(listing),
            language: listing.language || null,
          },
        }),
      );
      onCreated();
      // Reads are eventually consistent: the control room reads the show as of its creation.
      navigate(`/studio/shows/${show.show_id}${show.position == null ? "" : `?after=${show.position}`}`);
    } catch (error) {
      setProblem(problemText(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel" aria-labelledby="new-show">
      <h2 id="new-show">New show</h2>
      <form class="stack" id="new-show-form" onSubmit={(event) => void create(event)}>
        <ListingFields id="show" listing={listing} onChange={setListing} schedulable />
      </form>
      <h3>Products</h3>
      {products.length > 0 && (
        <ul class="drafts">
          {products.map((product, index) => (
            <li key={index}>
              {product.title} · {price(product.priceMinor, product.currency)} · {product.stock} in stock
            </li>
          ))}
        </ul>
      )}
      <form class="product-draft" onSubmit={addProduct}>
        <label>
          Name <input id="product-title" value={draft.title} onInput={(e) => setDraft({ ...draft, title: (e.currentTarget as HTMLInputElement).value })} />
        </label>
        <label>
          Price € <input id="product-price" inputMode="decimal" value={draft.price} onInput={(e) => setDraft({ ...draft, price: (e.currentTarget as HTMLInputElement).value })} />
        </label>
        <label>
          Stock <input id="product-stock" inputMode="numeric" value={draft.stock} onInput={(e) => setDraft({ ...draft, stock: (e.currentTarget as HTMLInputElement).value })} />
        </label>
        <button type="submit" class="secondary">
          Add product
        </button>
      </form>
      {problem && (
        <p class="form-problem" role="alert">
          {problem}
        </p>
      )}
      <button type="submit" form="new-show-form" disabled={busy}>
        {busy ? "Creating…" : "Create show"}
      </button>
    </section>
  );
}
