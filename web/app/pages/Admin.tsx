/** `/admin`: the deployment's admins grant roles (creator, moderator, auditor, analyst, admin) to accounts. */
import { useEffect, useState } from "preact/hooks";
import { api, as, ok, ApiProblem } from "../api/client";
import { useSignedIn } from "../api/session";

const GRANTABLE = ["creator", "moderator", "auditor", "analyst", "admin"] as const;

export function Admin() {
  const account = useSignedIn();
  const [user, setUser] = useState("");
  const [roles, setRoles] = useState<string[]>(["creator"]);
  const [said, setSaid] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    document.title = "Admin · Cartcast";
  }, []);

  if (!account?.roles.includes("admin")) {
    return <p class="empty">This page is for the deployment's admins.</p>;
  }

  const toggle = (role: string) =>
    setRoles((current) => (current.includes(role) ? current.filter((r) => r !== role) : [...current, role]));

  const grant = async (event: Event) => {
    event.preventDefault();
    try {
      const answer = ok(
        await api.PUT("/api/v1/accounts/{user}/roles", {
          params: { path: { user } },
          headers: await as("admin"),
          body: { roles },
        }),
      );
      setSaid({ ok: true, text: `${answer.user} now holds: ${answer.roles.join(", ")}.` });
    } catch (error) {
      const text =
        error instanceof ApiProblem && error.code === "account_not_found" ? `There is no account “${user}”.` : String(error);
      setSaid({ ok: false, text });
    }
  };

  return (
    <main class="account">
      <h1>Roles</h1>
      <form onSubmit={(event) => void grant(event)}>
        <label for="grant-user">Username</label>
        <input id="grant-user" required value={user} onInput={(e) => setUser((e.currentTarget as HTMLInputElement).value)} />
        <fieldset>
          <legend>Roles besides viewer</legend>
          {GRANTABLE.map((role) => (
            <label key={role} class="check">
              <input type="checkbox" checked={roles.includes(role)} onChange={() => toggle(role)} /> {role}
            </label>
          ))}
        </fieldset>
        <button type="submit">Set roles</button>
      </form>
      {said && (
        <p class={said.ok ? "form-ok" : "form-problem"} role="status">
          {said.text}
        </p>
      )}
    </main>
  );
}
