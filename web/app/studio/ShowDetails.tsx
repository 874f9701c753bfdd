/**
 * The control room's details form: the show's title, category, tags and
 * language (any time), its start (while scheduled), and cancelling a show
 * that has not gone live.
 */
import { useEffect, useState } from "preact/hooks";
import { actionKey, api, as, ok, problemText, type Schemas } from "../api/client";
import { ConfirmButton } from "./ConfirmButton";
import { type Listing, ListingFields, listingOf, startOf, tagList } from "./ListingFields";

type Show = Schemas["Show"];

interface Props {
  show: Show;
  /** After a change: reads the show again as of `position`. */
  onChanged(position: number | null | undefined): void;
}

export function ShowDetails({ show, onChanged }: Props) {
  const [listing, setListing] = useState<Listing>(() => listingOf(show));
  const [said, setSaid] = useState<{ ok: boolean; text: string } | null>(null);
  const scheduled = show.status === "scheduled";

  useEffect(() => setListing(listingOf(show)), [show.show_id, show.status]);

  const save = async (event: Event) => {
    event.preventDefault();
    const before = listingOf(show);
    try {
      const answer = ok(
        await api.PATCH("/api/v1/shows/{id}", {
          params: { path: { id: show.show_id }, header: actionKey() },
          headers: await as("creator"),
          body: {
            title: listing.title,
            category: listing.category || null,
            tags: tagList(listing),
            language: listing.language || null,
            scheduled_at: scheduled && listing.when !== before.when ? startOf(listing) : null,
          },
        }),
      );
      setSaid({ ok: true, text: "Saved." });
      onChanged(answer.position);
    } catch (error) {
      setSaid({ ok: false, text: problemText(error) });
    }
  };

  const cancel = async () => {
    try {
      const answer = ok(
        await api.POST("/api/v1/shows/{id}/cancel", {
          params: { path: { id: show.show_id }, header: actionKey() },
          headers: await as("creator"),
        }),
      );
      setSaid({ ok: true, text: "Cancelled: it will not go live." });
      onChanged(answer.position);
    } catch (error) {
      setSaid({ ok: false, text: problemText(error) });
    }
  };

  if (show.status === "cancelled") {
    return (
      <section class="panel" aria-labelledby="details">
        <h2 id="details">Details</h2>
        <p class="hint">This show was cancelled.</p>
      </section>
    );
  }
  return (
    <section class="panel" aria-labelledby="details">
      <h2 id="details">Details</h2>
      <form class="stack" id="details-form" onSubmit={(event) => void save(event)}>
        <ListingFields id="edit" listing={listing} onChange={setListing} schedulable={scheduled} />
        <button type="submit">Save details</button>
      </form>
      {scheduled && (
        <p class="inline">
          <ConfirmButton id="cancel-show" label="Cancel show" question="Cancel this show? It will not go live." yes="Yes, cancel it" onConfirm={cancel} />
        </p>
      )}
      {said && (
        <p class={said.ok ? "form-ok" : "form-problem"} role="status">
          {said.text}
        </p>
      )}
    </section>
  );
}
