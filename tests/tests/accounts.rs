//! Accounts in both shapes: sign up (the first account is the deployment's
//! admin), sign in, refresh into another role the account holds, an admin
//! granting the creator role, refusals with their codes, sign-in budgets per
//! account and per address, and the password found nowhere in clear.

use serde_json::{Value, json};
use sqlx::Row;

use cartcast_tests::{Client, Deployment, Shape};

const ANN_PASSWORD: &str = "glow serum at dawn";
const BOB_PASSWORD: &str = "amber lipstick 42";

#[tokio::test]
async fn embedded_accounts_sign_up_sign_in_and_hold_roles() {
    accounts_sign_up_sign_in_and_hold_roles(Shape::Embedded).await;
}

#[tokio::test]
async fn distributed_accounts_sign_up_sign_in_and_hold_roles() {
    accounts_sign_up_sign_in_and_hold_roles(Shape::Distributed).await;
}

async fn accounts_sign_up_sign_in_and_hold_roles(shape: Shape) {
    let deployment = Deployment::start(shape, &[]).await.expect("start");
    let client = deployment.client();

    // The first account is the admin; the next ones are viewers. Both are signed in at once.
    let ann = client.sign_up("Ann", ANN_PASSWORD).await.unwrap();
    assert_eq!((ann.status, ann.body["user"].clone(), ann.body["role"].clone()), (201, json!("ann"), json!("viewer")));
    assert_eq!(ann.body["roles"], json!(["viewer", "admin"]), "{shape:?}");
    let bob = client.sign_up("bob", BOB_PASSWORD).await.unwrap();
    assert_eq!((bob.status, bob.body["roles"].clone()), (201, json!(["viewer"])), "{}", bob.body);
    let bob_token = bob.body["token"].as_str().unwrap().to_owned();
    let inbox = client.get("/api/v1/me/notifications", Some(&bob_token)).await.unwrap();
    assert_eq!(inbox.status, 200, "a signed-up token is a signed-in user's: {}", inbox.body);

    // Refusals, each with its code.
    for (username, password, status, code) in [
        ("ANN", "another long password", 409, "username_taken"),
        ("a", "another long password", 422, "invalid_username"),
        ("carol!", "another long password", 422, "invalid_username"),
        ("carol", "short", 422, "weak_password"),
        ("carol", "carol-is-great-1", 422, "weak_password"),
        ("carol", "aaaaaaaaaaaaaaaa", 422, "weak_password"),
    ] {
        let refused = client.sign_up(username, password).await.unwrap();
        assert_eq!((refused.status, refused.code()), (status, Some(code)), "{username}/{password}: {}", refused.body);
    }
    for (username, password) in [("bob", "amber lipstick 43"), ("nobody", BOB_PASSWORD)] {
        let refused = sign_in(&client, username, password, None).await;
        assert_eq!((refused.status, refused.code()), (401, Some("bad_credentials")), "{username}");
    }

    // Bob holds no creator role until the admin grants it, with an admin token.
    let refused = sign_in(&client, "bob", BOB_PASSWORD, Some("creator")).await;
    assert_eq!((refused.status, refused.code()), (403, Some("role_not_held")));
    let grant = json!({"roles": ["creator"]});
    let as_viewer = client.put("/api/v1/accounts/bob/roles", ann.body["token"].as_str().unwrap(), grant.clone());
    assert_eq!(as_viewer.await.unwrap().status, 403, "ann's viewer token is not an admin's");
    let admin = sign_in(&client, "ann", ANN_PASSWORD, Some("admin")).await;
    assert_eq!((admin.status, admin.body["role"].clone()), (200, json!("admin")), "{}", admin.body);
    let admin_token = admin.body["token"].as_str().unwrap();
    let granted = client.put("/api/v1/accounts/BOB/roles", admin_token, grant).await.unwrap();
    assert_eq!(
        (granted.status, granted.body["roles"].clone()),
        (200, json!(["viewer", "creator"])),
        "{}",
        granted.body
    );
    let missing = client.put("/api/v1/accounts/nobody/roles", admin_token, json!({"roles": []})).await.unwrap();
    assert_eq!(missing.code(), Some("account_not_found"));
    let unknown = client.put("/api/v1/accounts/bob/roles", admin_token, json!({"roles": ["pope"]})).await.unwrap();
    assert_eq!(unknown.status, 422);

    // Bob's viewer token refreshes into a creator token, which creates products.
    let creator = client.post("/api/v1/login/refresh", &bob_token, None, json!({"role": "creator"})).await.unwrap();
    assert_eq!((creator.status, creator.body["role"].clone()), (200, json!("creator")), "{}", creator.body);
    let product = json!({"sku": "BOB-1", "title": "Amber", "price_minor": 900, "currency": "EUR", "stock": 1});
    let created =
        client.post("/api/v1/products", creator.body["token"].as_str().unwrap(), None, product).await.unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let same = client.post("/api/v1/login/refresh", &bob_token, None, json!({})).await.unwrap();
    assert_eq!(same.body["role"], "viewer", "an empty refresh keeps the token's role");
    let session = client.send_json(reqwest::Method::POST, "/api/v1/sessions", None, json!({})).await.unwrap();
    let anonymous = session.body["token"].as_str().unwrap();
    let refused = client.post("/api/v1/login/refresh", anonymous, None, json!({})).await.unwrap();
    assert_eq!(refused.code(), Some("sign_in_required"));

    sign_ins_are_budgeted(&client).await;
    the_password_is_nowhere_in_clear(&deployment).await;
}

/// Five attempts per account, then 429 with `Retry-After` — even with the
/// right password; another account from the same address is not held back.
async fn sign_ins_are_budgeted(client: &Client) {
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(sign_in(client, "bob", "wrong password!", None).await.status);
    }
    let held = sign_in(client, "bob", BOB_PASSWORD, None).await;
    assert_eq!(statuses, [401; 3], "bob tried twice above: these are his 3rd to 5th");
    assert_eq!((held.status, held.code()), (429, Some("rate_limited")), "{}", held.body);
    assert!(held.retry_after.as_deref().and_then(|s| s.parse::<u64>().ok()).is_some_and(|s| s >= 1));
    // Ann signed in once already (as admin) from this address.
    assert_eq!(sign_in(client, "ann", ANN_PASSWORD, None).await.status, 200);
}

/// Neither the accounts table nor the event log (nor, embedded, any file of
/// the data dir) holds a password in clear; the table holds argon2id hashes.
async fn the_password_is_nowhere_in_clear(deployment: &Deployment) {
    let url = match &deployment.postgres_url {
        Some(url) => url.clone(),
        None => format!("sqlite://{}", deployment.data_dir.join("events.sqlite").display()),
    };
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let hashes: Vec<String> = sqlx::query("SELECT password_hash FROM accounts ORDER BY username")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(hashes.len(), 2);
    for hash in &hashes {
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
    }
    let events = if deployment.postgres_url.is_some() {
        "SELECT payload::text || metadata::text FROM events"
    } else {
        "SELECT payload || metadata FROM events"
    };
    let logged: Vec<String> =
        sqlx::query(events).fetch_all(&pool).await.unwrap().iter().map(|row| row.get(0)).collect();
    assert!(!logged.is_empty());
    for password in [ANN_PASSWORD, BOB_PASSWORD] {
        assert!(!hashes.iter().chain(&logged).any(|text| text.contains(password)), "{password} is stored in clear");
        if deployment.postgres_url.is_none() {
            for file in std::fs::read_dir(&deployment.data_dir).unwrap() {
                let path = file.unwrap().path();
                if path.is_file() {
                    let bytes = std::fs::read(&path).unwrap();
                    let found = bytes.windows(password.len()).any(|window| window == password.as_bytes());
                    assert!(!found, "{password} is in {} in clear", path.display());
                }
            }
        }
    }
}

async fn sign_in(client: &Client, username: &str, password: &str, role: Option<&str>) -> cartcast_tests::Answer {
    let mut body = json!({"username": username, "password": password});
    if let Some(role) = role {
        body["role"] = Value::from(role);
    }
    client.send_json(reqwest::Method::POST, "/api/v1/login", None, body).await.unwrap()
}
