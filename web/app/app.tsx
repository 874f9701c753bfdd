/**
 * The page shell: the header and the page the path names. What viewers open
 * (browse, a show, a channel, search, sign-in) is in the main bundle; the
 * studio, admin and audit pages load on demand, so a viewer's phone never
 * downloads them.
 */
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { AccountForm } from "./account/AccountForm";
import { Bell } from "./account/Bell";
import { signOut, useSignedIn } from "./api/session";
import { Browse } from "./pages/Browse";
import { ChannelPage } from "./pages/Channel";
import { Search } from "./pages/Search";
import { Viewer } from "./pages/Viewer";
import { interceptLinks, match, usePath } from "./router";

/** A page whose code is fetched when it is first shown. */
function Later<P extends object>({ load, props }: { load: () => Promise<ComponentType<P>>; props: P }) {
  const [Page, setPage] = useState<ComponentType<P> | null>(null);
  useEffect(() => {
    let current = true;
    void load().then((page) => current && setPage(() => page));
    return () => {
      current = false;
    };
  }, [load]);
  return Page ? <Page {...props} /> : <p class="empty">Loading…</p>;
}

const studio = () => import("./studio/Studio").then((m) => m.Studio);
const controlRoom = () => import("./studio/ControlRoom").then((m) => m.ControlRoom);
const admin = () => import("./pages/Admin").then((m) => m.Admin);
const audit = () => import("./pages/Audit").then((m) => m.Audit);

export function App() {
  const path = usePath();
  const account = useSignedIn();
  const here = encodeURIComponent(path + location.search);
  return (
    <div class="shell" onClick={interceptLinks}>
      <header class="top">
        <a class="brand" href="/">
          Cartcast
        </a>
        <nav aria-label="Account">
          {account ? (
            <>
              {account.roles.includes("creator") && <a href="/studio">Studio</a>}
              {account.roles.includes("admin") && <a href="/admin">Admin</a>}
              {(account.roles.includes("auditor") || account.roles.includes("analyst")) && <a href="/audit">Audit</a>}
              <Bell user={account.user} />
              <span class="who" data-testid="who">
                {account.user}
              </span>
              <button type="button" class="link" onClick={signOut}>
                Sign out
              </button>
            </>
          ) : (
            path !== "/signin" && <a href={`/signin?next=${here}`}>Sign in</a>
          )}
        </nav>
      </header>
      <Page path={path} />
    </div>
  );
}

function Page({ path }: { path: string }) {
  const show = match("/shows/:id", path);
  if (show?.id) return <Viewer key={show.id} showId={show.id} />;
  const channel = match("/channels/:channel", path);
  if (channel?.channel) return <ChannelPage key={channel.channel} channelId={channel.channel} />;
  const controlled = match("/studio/shows/:id", path);
  if (controlled?.id) return <Later key={controlled.id} load={controlRoom} props={{ showId: controlled.id }} />;
  switch (path) {
    case "/":
      return <Browse />;
    case "/signin":
      return <AccountForm key="signin" mode="signin" />;
    case "/signup":
      return <AccountForm key="signup" mode="signup" />;
    case "/search":
      return <Search key={location.search} />;
    case "/admin":
      return <Later load={admin} props={{}} />;
    case "/audit":
      return <Later load={audit} props={{}} />;
    case "/studio":
      return <Later load={studio} props={{}} />;
    default:
      return (
        <main class="empty">
          <h1>Not found</h1>
          <p>
            There is no page here. <a href="/">See what is live</a>.
          </p>
        </main>
      );
  }
}
