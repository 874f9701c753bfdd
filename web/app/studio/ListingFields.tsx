/**
 * How a show is listed — title, start, category, tags, language — as the
 * new-show form and the control room's details form both ask for it.
 */
import { useEffect, useState } from "preact/hooks";
import { api, ok, type Schemas } from "../api/client";

type Show = Schemas["Show"];

export interface Listing {
  title: string;
  /** `datetime-local` text in the creator's time zone; empty: go live whenever streaming starts. */
  when: string;
  category: string;
  /** Comma-separated, as typed. */
  tags: string;
  language: string;
}

export const NO_LISTING: Listing = { title: "", when: "", category: "", tags: "", language: "" };

/** Languages offered first; the API takes any tag such as `en` or `pt-BR`. */
const LANGUAGES: [string, string][] = [
  ["en", "English"],
  ["de", "Deutsch"],
  ["es", "Español"],
  ["fr", "Français"],
  ["it", "Italiano"],
  ["nl", "Nederlands"],
  ["pl", "Polski"],
  ["pt-BR", "Português (Brasil)"],
  ["sv", "Svenska"],
  ["ja", "日本語"],
  ["ko", "한국어"],
  ["zh", "中文"],
];

export function listingOf(show: Show): Listing {
  return {
    title: show.title,
    when: show.scheduled_at ? localInput(new Date(show.scheduled_at)) : "",
    category: show.category ?? "",
    tags: show.tags.join(", "),
    language: show.language ?? "",
  };
}

/** The tags as the API takes them: split at commas, trimmed, none empty. */
export function tagList(listing: Listing): string[] {
  return listing.tags
    .split(",")
    .map((tag) => tag.trim())
    .filter((tag) => tag !== "");
}

/** The start as the API takes it, or null for none. */
export function startOf(listing: Listing): string | null {
  return listing.when ? new Date(listing.when).toISOString() : null;
}

/** A `datetime-local` value for `at` in this browser's time zone. */
function localInput(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

interface Props {
  /** Prefixes the fields' ids, so two forms on one page do not clash. */
  id: string;
  listing: Listing;
  onChange(listing: Listing): void;
  /** Whether the start may be set (a show that is live or over keeps its own). */
  schedulable: boolean;
}

export function ListingFields({ id, listing, onChange, schedulable }: Props) {
  const [categories, setCategories] = useState<Schemas["Category"][]>([]);
  useEffect(() => {
    void (async () => setCategories(ok(await api.GET("/api/v1/categories", {})).items))();
  }, []);
  const set = (field: keyof Listing) => (event: Event) =>
    onChange({ ...listing, [field]: (event.currentTarget as HTMLInputElement | HTMLSelectElement).value });

  return (
    <>
      <label for={`${id}-title`}>Title</label>
      <input id={`${id}-title`} required maxLength={200} value={listing.title} onInput={set("title")} />
      {schedulable && (
        <>
          <label for={`${id}-when`}>Starts (leave empty to go live whenever you start streaming)</label>
          <input id={`${id}-when`} type="datetime-local" value={listing.when} onInput={set("when")} />
        </>
      )}
      <label for={`${id}-category`}>Category</label>
      <select id={`${id}-category`} value={listing.category} onChange={set("category")}>
        <option value="">None</option>
        {categories.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name}
          </option>
        ))}
      </select>
      <label for={`${id}-tags`}>Tags (up to 5, separated by commas)</label>
      <input id={`${id}-tags`} value={listing.tags} placeholder="vegan, spring-drop" onInput={set("tags")} />
      <label for={`${id}-language`}>Language</label>
      <select id={`${id}-language`} value={listing.language} onChange={set("language")}>
        <option value="">Not said</option>
        {LANGUAGES.map(([tag, name]) => (
          <option key={tag} value={tag} lang={tag}>
            {name}
          </option>
        ))}
        {listing.language && !LANGUAGES.some(([tag]) => tag === listing.language) && (
          <option value={listing.language}>{listing.language}</option>
        )}
      </select>
    </>
  );
}
