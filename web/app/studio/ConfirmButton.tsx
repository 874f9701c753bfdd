/**
 * A button for what cannot be taken back (a new stream key, a cancelled
 * show): the first press asks, in the page rather than in a browser dialog,
 * and only "yes" does it.
 */
import { useState } from "preact/hooks";

interface Props {
  id: string;
  /** What the button says before it asks. */
  label: string;
  /** The question, saying what will happen. */
  question: string;
  /** What the button that does it says. */
  yes: string;
  onConfirm(): Promise<void>;
}

export function ConfirmButton({ id, label, question, yes, onConfirm }: Props) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);

  if (!asking) {
    return (
      <button type="button" id={id} class="secondary small" onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  const confirm = async () => {
    setBusy(true);
    try {
      await onConfirm();
    } finally {
      setBusy(false);
      setAsking(false);
    }
  };
  return (
    <span class="confirm" role="group" aria-label={label}>
      <span>{question}</span>{" "}
      <button type="button" class="small danger" autoFocus disabled={busy} onClick={() => void confirm()}>
        {yes}
      </button>{" "}
      <button type="button" class="secondary small" disabled={busy} onClick={() => setAsking(false)}>
        Keep it
      </button>
    </span>
  );
}
