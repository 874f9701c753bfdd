/** The page shell: the header and the page the path names. */
import { useSignedIn, signOut } from "./api/session";
import { Browse } from "./pages/Browse";
import { Viewer } from "./pages/Viewer";
import { interceptLinks, match, usePath } from "./router";

export function App() {
  const path = usePath();
  const user = useSignedIn();
  return (
    <div class="shell" onClick={interceptLinks}>
      <header class="top">
        <a class="brand" href="/">
          Cartcast
        </a>
        <nav aria-label="Account">
          {user ? (
            <>
              <span class="who">{user.sub}</span>
              <button type="button" class="link" onClick={signOut}>
                Sign out
              </button>
            </>
          ) : (
            <a href={`/signin?next=${encodeURIComponent(path)}`}>Sign in</a>
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
  if (path === "/") return <Browse />;
  return (
    <main class="empty">
      <h1>Not found</h1>
      <p>
        There is no page here. <a href="/">See what is live</a>.
      </p>
    </main>
  );
}
