-- Sign-in accounts: the identity store, kept beside the event store and out
-- of the event log (which names users only by the token's subject). The
-- password is kept only as an argon2id PHC string; deleting a row forgets it.
CREATE TABLE accounts (
    -- Lower-cased, [a-z0-9_]{3,25}: the tokens' subject.
    username      TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    -- Roles an admin granted, comma-separated; `viewer` is implied.
    roles         TEXT NOT NULL,
    -- 1 on the deployment's first account (its admin), NULL on every other:
    -- two first sign-ups at once cannot both become admin.
    first_account INTEGER UNIQUE,
    created_at    TEXT NOT NULL
);
