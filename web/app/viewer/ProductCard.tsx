/**
 * The pinned product with its live stock, and the one-tap purchase:
 * Buy → a hold with a countdown → card → confirmed, declined (the hold is
 * kept; try another card) or expired (the units went back; try again).
 */
import { useEffect, useState } from "preact/hooks";
import type { ProductAnswer } from "@gen/frames";
import { ApiProblem, actionKey, api, ok } from "../api/client";
import { price } from "../money";

type Step =
  | { kind: "idle" }
  | { kind: "holding"; reservationId: string; expiresAt: number; declined: boolean; paying: boolean }
  | { kind: "confirmed"; orderId: string }
  | { kind: "expired" }
  | { kind: "problem"; message: string };

interface Props {
  /** What the card shows: the pinned product (from the socket) or a replay's (from the catalog). */
  product: Pick<ProductAnswer, "product_id" | "title" | "price_minor" | "currency">;
  available: number;
  signedIn: boolean;
  /** Told whether the viewer is in the middle of buying (a hold being paid for). */
  onEngaged?(engaged: boolean): void;
}

export function ProductCard({ product, available, signedIn, onEngaged }: Props) {
  const [step, setStep] = useState<Step>({ kind: "idle" });
  const [busy, setBusy] = useState(false);
  const [card, setCard] = useState("");
  const [now, setNow] = useState(Date.now());

  useEffect(() => setStep({ kind: "idle" }), [product.product_id]);

  const holding = step.kind === "holding" ? step : null;
  useEffect(() => onEngaged?.(holding !== null), [holding !== null]);
  useEffect(() => {
    if (!holding) return;
    const timer = window.setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [holding?.reservationId]);
  useEffect(() => {
    if (holding && !holding.paying && now >= holding.expiresAt) setStep({ kind: "expired" });
  }, [now, holding]);
  // Keyboard and screen-reader users land on the card field as soon as the item is held.
  useEffect(() => {
    if (holding) document.getElementById("card")?.focus();
  }, [holding?.reservationId]);

  const buy = async () => {
    setBusy(true);
    try {
      const held = ok(
        await api.POST("/api/v1/products/{id}/reservations", {
          params: { path: { id: product.product_id }, header: actionKey() },
          body: { quantity: 1 },
        }),
      );
      setNow(Date.now());
      setStep({
        kind: "holding",
        reservationId: held.reservation_id,
        expiresAt: Date.parse(held.expires_at),
        declined: false,
        paying: false,
      });
    } catch (error) {
      setStep({ kind: "problem", message: explain(error) });
    } finally {
      setBusy(false);
    }
  };

  const pay = async (event: Event) => {
    event.preventDefault();
    if (!holding) return;
    setStep({ ...holding, paying: true });
    try {
      const order = ok(
        await api.POST("/api/v1/reservations/{id}/checkout", {
          params: { path: { id: holding.reservationId }, header: actionKey() },
          body: { card: card.replace(/\s+/g, "") },
        }),
      );
      setStep({ kind: "confirmed", orderId: order.order_id });
    } catch (error) {
      if (error instanceof ApiProblem && error.code === "payment_declined") {
        setStep({ ...holding, declined: true, paying: false });
      } else if (error instanceof ApiProblem && error.code === "reservation_expired") {
        setStep({ kind: "expired" });
      } else {
        setStep({ kind: "problem", message: explain(error) });
      }
    }
  };

  const release = async () => {
    if (!holding) return;
    await api.DELETE("/api/v1/reservations/{id}", { params: { path: { id: holding.reservationId } } });
    setStep({ kind: "idle" });
  };

  const left = holding ? Math.max(0, Math.ceil((holding.expiresAt - now) / 1000)) : 0;
  return (
    <section class="product" aria-label="Pinned product" data-product={product.product_id}>
      <h2>{product.title}</h2>
      <p class="price">{price(product.price_minor, product.currency)}</p>
      <p class="stock" data-testid="stock">
        {available > 0 ? `${available} left` : "Sold out"}
      </p>
      {step.kind === "idle" &&
        (signedIn ? (
          <button type="button" class="buy" disabled={busy || available === 0} onClick={() => void buy()}>
            {available === 0 ? "Sold out" : "Buy"}
          </button>
        ) : (
          <a class="button buy" href={`/signin?next=${encodeURIComponent(location.pathname)}`}>
            Sign in to buy
          </a>
        ))}
      {holding && (
        <form class="checkout" onSubmit={(event) => void pay(event)}>
          <p class="hold" role="timer" aria-live="off">
            Held for you: <strong>{`${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`}</strong>
          </p>
          {holding.declined && (
            <p class="declined" role="alert">
              Your card was declined. The item is still held for you: try another card.
            </p>
          )}
          <label for="card">Card number</label>
          <input
            id="card"
            inputMode="numeric"
            autocomplete="cc-number"
            required
            pattern="[0-9 ]{12,23}"
            value={card}
            onInput={(event) => setCard((event.currentTarget as HTMLInputElement).value)}
            aria-describedby="card-hint"
          />
          <small id="card-hint">Test cards: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined.</small>
          <div class="row">
            <button type="submit" class="pay" disabled={holding.paying}>
              {holding.paying ? "Paying…" : `Pay ${price(product.price_minor, product.currency)}`}
            </button>
            <button type="button" class="secondary" onClick={() => void release()}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {step.kind === "confirmed" && (
        <div class="outcome confirmed" role="status">
          <p>
            Order confirmed. <span class="order-id">Order {step.orderId}</span>
          </p>
          <button type="button" class="secondary" onClick={() => setStep({ kind: "idle" })}>
            Buy another
          </button>
        </div>
      )}
      {step.kind === "expired" && (
        <div class="outcome expired" role="alert">
          <p>Your hold expired and the item went back on sale.</p>
          <button type="button" onClick={() => void buy()} disabled={busy || available === 0}>
            Try again
          </button>
        </div>
      )}
      {step.kind === "problem" && (
        <div class="outcome problem" role="alert">
          <p>{step.message}</p>
          <button type="button" class="secondary" onClick={() => setStep({ kind: "idle" })}>
            Back
          </button>
        </div>
      )}
    </section>
  );
}

function explain(error: unknown): string {
  if (!(error instanceof ApiProblem)) return "Something went wrong; check your connection and try again.";
  switch (error.code) {
    case "sold_out":
      return "Sold out: someone was faster this time.";
    case "sign_in_required":
      return "Sign in to buy.";
    default:
      return error.message;
  }
}
