/**
 * `/signin` and `/signup`: a username and a password, sent to
 * `POST /api/v1/login` or `POST /api/v1/accounts`; then on to `?next=`.
 * Refusals are said in words: wrong credentials, a taken name, a weak
 * password (with the server's reason), too many attempts (with the wait).
 */
import { useEffect, useState } from "preact/hooks";
import { ApiProblem, api, ok } from "../api/client";
import { remember } from "../api/session";
import { navigate } from "../router";

type Mode = "signin" | "signup";

const TEXT: Record<Mode, { title: string; submit: string; other: string; otherLabel: string }> = {
  signin: { title: "Sign in", submit: "Sign in", other: "/signup", otherLabel: "New here? Create an account" },
  signup: { title: "Create an account", submit: "Create account", other: "/signin", otherLabel: "Have an account? Sign in" },
};

export function AccountForm({ mode }: { mode: Mode }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = safeNext(new URLSearchParams(location.search).get("next"));
  const text = TEXT[mode];

  useEffect(() => {
    document.title = `${text.title} · Cartcast`;
  }, [text.title]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const body = { username, password };
      const answer =
        mode === "signin"
          ? ok(await api.POST("/api/v1/login", { body }))
          : ok(await api.POST("/api/v1/accounts", { body }));
      remember(answer);
      navigate(next);
    } catch (error) {
      setProblem(explain(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="account">
      <h1>{text.title}</h1>
      <form onSubmit={(event) => void submit(event)}>
        <label for="username">Username</label>
        <input
          id="username"
          autocomplete="username"
          required
          minLength={3}
          maxLength={25}
          value={username}
          onInput={(event) => setUsername((event.currentTarget as HTMLInputElement).value)}
          aria-describedby={mode === "signup" ? "username-hint" : undefined}
        />
        {mode === "signup" && <small id="username-hint">3 to 25 letters, digits or _; shown in chat.</small>}
        <label for="password">Password</label>
        <input
          id="password"
          type="password"
          autocomplete={mode === "signin" ? "current-password" : "new-password"}
          required
          value={password}
          onInput={(event) => setPassword((event.currentTarget as HTMLInputElement).value)}
          aria-describedby={mode === "signup" ? "password-hint" : undefined}
        />
        {mode === "signup" && <small id="password-hint">At least 10 characters; a phrase is easiest to remember.</small>}
        {problem && (
          <p class="form-problem" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "…" : text.submit}
        </button>
      </form>
      <p>
        <a href={`${text.other}?next=${encodeURIComponent(next)}`}>{text.otherLabel}</a>
      </p>
    </main>
  );
}

/** Only a path of this site: never an absolute URL that would send the user elsewhere. */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

function explain(error: unknown): string {
  if (!(error instanceof ApiProblem)) return "Something went wrong; check your connection and try again.";
  switch (error.code) {
    case "bad_credentials":
      return "The username or the password is wrong.";
    case "username_taken":
      return "That username is taken; try another.";
    case "rate_limited":
      return `Too many attempts. Try again in ${error.retryAfterS ?? 10} seconds.`;
    default:
      return error.message;
  }
}
