/** The show's products with live stock: pin one (viewers see its card at once) or unpin it, add stock. */
import { useState } from "preact/hooks";
import { actionKey, api, as, ok, type Schemas } from "../api/client";
import { price } from "../money";

type Product = Schemas["Product"];

interface Props {
  showId: string;
  products: Product[];
  pinned: string | null;
  /** Available units from the socket's `stock` frames, fresher than the list. */
  stock: Record<string, number>;
  /** After a change the list should show (stock added). */
  onChanged(): void;
}

export function Products({ showId, products, pinned, stock, onChanged }: Props) {
  const [pinning, setPinning] = useState<string | null>(null);

  const pin = async (productId: string) => {
    setPinning(productId);
    try {
      ok(
        await api.POST("/api/v1/shows/{id}/pin", {
          params: { path: { id: showId }, header: actionKey() },
          headers: await as("creator"),
          body: { product_id: productId },
        }),
      );
    } finally {
      setPinning(null);
    }
  };

  const unpin = async () => {
    ok(
      await api.DELETE("/api/v1/shows/{id}/pin", {
        params: { path: { id: showId }, header: actionKey() },
        headers: await as("creator"),
      }),
    );
  };

  const addStock = async (productId: string) => {
    ok(
      await api.POST("/api/v1/products/{id}/stock", {
        params: { path: { id: productId }, header: actionKey() },
        headers: await as("creator"),
        body: { add: 10 },
      }),
    );
    onChanged();
  };

  return (
    <section class="panel" aria-labelledby="products">
      <h2 id="products">Products</h2>
      {products.length === 0 && <p class="hint">This show sells nothing yet.</p>}
      <ul class="product-rows">
        {products.map((product) => {
          const available = stock[product.product_id] ?? product.stock.available;
          const isPinned = pinned === product.product_id;
          return (
            <li key={product.product_id} data-product={product.product_id} class={isPinned ? "pinned" : ""}>
              <span class="name">{product.title}</span>
              <span class="meta">
                {price(product.price_minor, product.currency)} · <span data-testid="available">{available}</span> of{" "}
                {product.stock.total} left
              </span>
              <span class="actions">
                {isPinned ? (
                  <button type="button" class="unpin" onClick={() => void unpin()}>
                    Unpin
                  </button>
                ) : (
                  <button type="button" class="pin" disabled={pinning !== null} onClick={() => void pin(product.product_id)}>
                    Pin
                  </button>
                )}
                <button type="button" class="secondary" onClick={() => void addStock(product.product_id)}>
                  +10 stock
                </button>
              </span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
