/** The show's open (or last closed) poll: the question, one button per option with its votes. */
import type { Room } from "../live/room";
import type { LiveSocket } from "../live/socket";

interface Props {
  poll: NonNullable<Room["poll"]>;
  voted: number | undefined;
  socket: LiveSocket | null;
  canVote: boolean;
}

export function Poll({ poll, voted, socket, canVote }: Props) {
  const total = poll.counts.reduce((sum, count) => sum + count, 0);
  const locked = !poll.open || !canVote || (voted !== undefined && !poll.changeable);
  return (
    <section class="poll" aria-label="Poll">
      <h2>
        {poll.question} {!poll.open && <span class="closed">(closed)</span>}
      </h2>
      <ul>
        {poll.options.map((option, index) => {
          const count = poll.counts[index] ?? 0;
          const share = total ? Math.round((count * 100) / total) : 0;
          return (
            <li key={index}>
              <button
                type="button"
                class={voted === index ? "option chosen" : "option"}
                aria-pressed={voted === index}
                disabled={locked}
                onClick={() => socket?.send({ type: "vote", poll_id: poll.poll_id, option: index })}
              >
                <span class="bar" style={{ width: `${share}%` }} aria-hidden="true" />
                <span class="label">{option}</span>
                <span class="votes" data-option={index}>
                  {count}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
      {poll.open && (poll.closes_at || poll.changeable) && (
        <p class="hint" data-testid="poll-terms">
          {poll.closes_at && `Closes at ${new Date(poll.closes_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}. `}
          {poll.changeable && "You may change your vote."}
        </p>
      )}
      {!canVote && poll.open && (
        <p class="hint">
          <a href={`/signin?next=${encodeURIComponent(location.pathname)}`}>Sign in to vote</a>
        </p>
      )}
    </section>
  );
}
