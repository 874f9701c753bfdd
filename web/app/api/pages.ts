/**
 * A list the API answers a page at a time (`items` + `next_cursor`): the
 * first page, then `more()` appends the next while there is one. A refresh
 * reads again as many as are shown, so a list the viewer has grown keeps
 * its length; an item that moved across a page boundary is shown once.
 */
import { useEffect, useRef, useState } from "preact/hooks";

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

/** The API's largest page. */
const MAX_LIMIT = 100;

interface Options<T> {
  /** Reads one page: from the start (`cursor` undefined) or after a page's end. */
  read(cursor: string | undefined, limit: number): Promise<Page<T>>;
  keyOf(item: T): string;
  pageSize: number;
  /** Reads the shown items again this often (none: only when `deps` change). */
  refreshMs?: number;
}

export interface Pages<T> {
  /** Null until the first page is read. */
  items: T[] | null;
  /** Appends the next page; null on the last. */
  more: (() => Promise<void>) | null;
  busy: boolean;
  /** Puts an item pushed by the server at the top. */
  prepend(item: T): void;
}

export function usePages<T>({ read, keyOf, pageSize, refreshMs }: Options<T>, deps: unknown[]): Pages<T> {
  const [list, setList] = useState<{ items: T[]; next: string | null } | null>(null);
  const [busy, setBusy] = useState(false);
  const shown = useRef(pageSize);

  useEffect(() => {
    let current = true;
    shown.current = pageSize;
    setList(null);
    const first = async () => {
      const page = await read(undefined, Math.min(MAX_LIMIT, shown.current));
      if (current) setList({ items: page.items, next: page.next_cursor ?? null });
    };
    void first();
    const timer = refreshMs ? window.setInterval(() => void first(), refreshMs) : undefined;
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, deps);

  const next = list?.next;
  const more = next
    ? async () => {
        setBusy(true);
        try {
          const page = await read(next, pageSize);
          setList((before) => {
            if (!before) return before;
            const seen = new Set(before.items.map(keyOf));
            const items = [...before.items, ...page.items.filter((item) => !seen.has(keyOf(item)))];
            shown.current = items.length;
            return { items, next: page.next_cursor ?? null };
          });
        } finally {
          setBusy(false);
        }
      }
    : null;

  const prepend = (item: T) =>
    setList((before) =>
      before && !before.items.some((i) => keyOf(i) === keyOf(item)) ? { ...before, items: [item, ...before.items] } : before,
    );

  return { items: list?.items ?? null, more, busy, prepend };
}
