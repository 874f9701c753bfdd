//! Polls, pins and stock in the live room, against the real binary: one
//! counted vote per viewer across gateways and reconnects, live counts and a
//! result event; the pinned product and its stock reaching every socket as
//! the event feed publishes them, in both shapes.

use std::time::Duration;

use serde_json::{Value, json};

use cartcast_domain::Role;
use cartcast_domain::poll::Polls;
use cartcast_tests::live::{Socket, join, next, scheduled_show, text, until_frame};
use cartcast_tests::{Client, Deployment, Shape};
use cqrs_es::Aggregate;

/// Votes and reads the answer: the option `voted` says counted, or the `error` frame's code.
async fn vote(socket: &mut Socket, poll_id: &str, option: u32) -> Result<u64, String> {
    text(socket, json!({"type": "vote", "poll_id": poll_id, "option": option}).to_string()).await;
    loop {
        let frame = next(socket).await.unwrap_or_else(|code| panic!("closed with {code:?} before an answer"));
        match frame["type"].as_str() {
            Some("voted") => {
                assert_eq!(frame["poll_id"], poll_id);
                return Ok(frame["option"].as_u64().unwrap());
            }
            Some("error") => return Err(frame["code"].as_str().unwrap().to_owned()),
            _ => {}
        }
    }
}

/// Votes, expecting a refusal; its code.
async fn refused_vote(socket: &mut Socket, poll_id: &str, option: u32) -> String {
    vote(socket, poll_id, option).await.expect_err("a refusal")
}

async fn open_poll(client: &Client, show_id: &str, body: Value) -> String {
    let creator = client.token("creator-1", Role::Creator);
    let opened = client.post(&format!("/api/v1/shows/{show_id}/polls"), &creator, None, body).await.unwrap();
    assert_eq!(opened.status, 201, "{}", opened.body);
    opened.body["poll_id"].as_str().unwrap().to_owned()
}

fn counts(frame: &Value) -> Vec<u64> {
    frame["counts"].as_array().unwrap().iter().map(|n| n.as_u64().unwrap()).collect()
}

#[tokio::test]
async fn one_vote_per_viewer_across_gateways_with_live_counts_and_a_result_event() {
    let mut deployment = Deployment::start(Shape::Distributed, &[]).await.expect("start");
    // The second gateway is a `cartcast gateway`: live sockets only.
    let other = deployment.add_gateway().await.expect("a second gateway");
    let client = deployment.client();
    let show_id = scheduled_show(&client).await;
    let creator = client.token("creator-1", Role::Creator);
    let gateway_only = deployment.client_at(&other).get(&format!("/api/v1/shows/{show_id}"), None).await.unwrap();
    assert_eq!(gateway_only.code(), Some("not_found"), "a gateway serves no API route");
    let polls = format!("/api/v1/shows/{show_id}/polls");

    // Bad polls are refused with their codes, and nothing opens.
    let one_option = json!({"question": "Which colour?", "options": ["Red"]});
    assert_eq!(client.post(&polls, &creator, None, one_option).await.unwrap().code(), Some("invalid_input"));
    let asked = json!({"question": "Which colour?", "options": ["Red", "Blue", "Green"]});
    let stranger = client.token("creator-2", Role::Creator);
    assert_eq!(client.post(&polls, &stranger, None, asked.clone()).await.unwrap().code(), Some("not_creator"));
    let viewer = client.token("ann", Role::Viewer);
    assert_eq!(client.post(&polls, &viewer, None, asked.clone()).await.unwrap().status, 403);

    let (mut ann, _) = join(&client.base, &show_id, &client.token("ann", Role::Viewer)).await;
    let (mut bob, _) = join(&other, &show_id, &client.token("bob", Role::Viewer)).await;
    let poll_id = open_poll(&client, &show_id, asked.clone()).await;
    assert_eq!(client.post(&polls, &creator, None, asked).await.unwrap().code(), Some("poll_already_open"));
    for socket in [&mut ann, &mut bob] {
        let opened = until_frame(socket, "poll", |f| f["poll_id"] == poll_id.as_str()).await;
        assert_eq!((opened["open"].clone(), counts(&opened)), (json!(true), vec![0, 0, 0]), "{opened}");
        assert_eq!(opened["question"], "Which colour?");
    }

    // One vote per viewer: a repeat is the same vote, a change is refused,
    // on this gateway and through the other one.
    assert_eq!(vote(&mut ann, &poll_id, 0).await, Ok(0));
    assert_eq!(vote(&mut ann, &poll_id, 0).await, Ok(0));
    assert_eq!(refused_vote(&mut ann, &poll_id, 1).await, "already_voted");
    let (mut ann_elsewhere, _) = join(&other, &show_id, &client.token("ann", Role::Viewer)).await;
    assert_eq!(refused_vote(&mut ann_elsewhere, &poll_id, 2).await, "already_voted");
    assert_eq!(vote(&mut bob, &poll_id, 1).await, Ok(1));
    let (mut carol, _) = join(&client.base, &show_id, &client.token("carol", Role::Viewer)).await;
    until_frame(&mut carol, "poll", |f| f["poll_id"] == poll_id.as_str()).await;
    assert_eq!(vote(&mut carol, &poll_id, 1).await, Ok(1));

    // What cannot count says why, and the socket stays open.
    assert_eq!(refused_vote(&mut carol, &poll_id, 7).await, "invalid_option");
    assert_eq!(refused_vote(&mut carol, &format!("{show_id}.9"), 0).await, "poll_not_found");
    let session = deployment.client_at(&other).post("/api/v1/sessions", "", None, json!({})).await.unwrap();
    assert_eq!(session.status, 201, "a gateway issues anonymous sessions: {}", session.body);
    let (mut anonymous, _) = join(&other, &show_id, session.body["token"].as_str().unwrap()).await;
    until_frame(&mut anonymous, "poll", |f| f["poll_id"] == poll_id.as_str()).await;
    assert_eq!(refused_vote(&mut anonymous, &poll_id, 0).await, "sign_in_required");

    // Every socket, on either gateway, sees the counts move.
    for socket in [&mut ann, &mut bob] {
        until_frame(socket, "poll", |f| counts(f) == [1, 2, 0]).await;
    }
    let read = client.get(&format!("/api/v1/polls/{poll_id}"), None).await.unwrap();
    assert_eq!((counts(&read.body), read.body["voters"].clone()), (vec![1, 2, 0], json!(3)), "{}", read.body);

    // Closing it tells everyone the result, records it, and ends the voting.
    let closed = client.post(&format!("/api/v1/polls/{poll_id}/close"), &creator, None, json!({})).await.unwrap();
    assert_eq!(closed.status, 200, "{}", closed.body);
    assert_eq!((closed.body["open"].clone(), counts(&closed.body)), (json!(false), vec![1, 2, 0]));
    for socket in [&mut ann, &mut bob] {
        until_frame(socket, "poll", |f| f["open"] == false && counts(f) == [1, 2, 0]).await;
    }
    assert_eq!(refused_vote(&mut bob, &poll_id, 0).await, "poll_closed");
    let stored = deployment.event_store().await.unwrap().load(Polls::TYPE, &show_id).await.unwrap();
    let result = stored.iter().find(|e| e.event_type == "PollClosed").expect("the result is an event");
    assert_eq!(result.payload["counts"], json!([1, 2, 0]));
    assert_eq!((result.payload["voters"].clone(), result.payload["leading"].clone()), (json!(3), json!([1])));
    assert_eq!(result.payload["reason"], "closed");
    let missing = client.get(&format!("/api/v1/polls/{show_id}.9"), None).await.unwrap();
    assert_eq!(missing.code(), Some("poll_not_found"));
    deployment.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_poll_with_a_duration_closes_by_itself_and_changeable_votes_move() {
    let mut deployment = Deployment::start(Shape::Embedded, &[]).await.expect("start");
    let client = deployment.client();
    let show_id = scheduled_show(&client).await;
    let asked =
        json!({"question": "Next product?", "options": ["Serum", "Mask"], "duration_s": 10, "changeable": true});
    let poll_id = open_poll(&client, &show_id, asked).await;

    // A socket that joins while it is open is greeted with it.
    let (mut ann, _) = join(&client.base, &show_id, &client.token("ann", Role::Viewer)).await;
    let greeted = until_frame(&mut ann, "poll", |_| true).await;
    assert_eq!((greeted["poll_id"].as_str(), greeted["changeable"].clone()), (Some(poll_id.as_str()), json!(true)));
    assert!(greeted["closes_at"].is_string(), "{greeted}");
    assert_eq!(vote(&mut ann, &poll_id, 0).await, Ok(0));
    until_frame(&mut ann, "poll", |f| counts(f) == [1, 0]).await;
    assert_eq!(vote(&mut ann, &poll_id, 1).await, Ok(1), "a changeable vote moves");
    until_frame(&mut ann, "poll", |f| counts(f) == [0, 1]).await;

    // Its time runs out on the worker's timer, not on anyone's request.
    let ended = tokio::time::timeout(Duration::from_secs(20), until_frame(&mut ann, "poll", |f| f["open"] == false))
        .await
        .expect("the poll closes at its end");
    assert_eq!(counts(&ended), vec![0, 1]);
    let stored = deployment.event_store().await.unwrap().load(Polls::TYPE, &show_id).await.unwrap();
    let result = stored.iter().find(|e| e.event_type == "PollClosed").expect("the result is an event");
    assert_eq!((result.payload["reason"].clone(), result.payload["voters"].clone()), (json!("time_up"), json!(1)));
    assert_eq!(refused_vote(&mut ann, &poll_id, 0).await, "poll_closed");
    // A new poll may open once the last one closed.
    let next_poll = open_poll(&client, &show_id, json!({"question": "Again?", "options": ["Yes", "No"]})).await;
    assert_eq!(next_poll, format!("{show_id}.2"));
    assert_eq!(refused_vote(&mut ann, &poll_id, 0).await, "poll_closed", "an earlier poll stays closed");
    deployment.stop().await.expect("clean stop");
}

/// A show of `creator-1` listing a product with `stock` units; (show, product).
async fn show_with_product(client: &Client, stock: u64) -> (String, String) {
    let product_id = client.create_product("creator-1", stock).await.unwrap();
    let creator = client.token("creator-1", Role::Creator);
    let body = json!({"title": "Drop", "product_ids": [product_id]});
    let created = client.post("/api/v1/shows", &creator, None, body).await.unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let show_id = created.body["show_id"].as_str().unwrap().to_owned();
    let after = created.body["position"].as_u64().unwrap();
    client.get(&format!("/api/v1/shows/{show_id}?after={after}"), None).await.unwrap();
    (show_id, product_id)
}

#[tokio::test]
async fn pins_and_stock_reach_every_socket_in_both_shapes() {
    for shape in [Shape::Embedded, Shape::Distributed] {
        let mut deployment = Deployment::start(shape, &[]).await.expect("start");
        let client = deployment.client();
        let (show_id, product_id) = show_with_product(&client, 5).await;
        let (mut ann, _) = join(&client.base, &show_id, &client.token("ann", Role::Viewer)).await;

        let creator = client.token("creator-1", Role::Creator);
        let pin = json!({"product_id": product_id});
        let pinned = client.post(&format!("/api/v1/shows/{show_id}/pin"), &creator, None, pin).await.unwrap();
        assert_eq!(pinned.status, 200, "{shape:?}: {}", pinned.body);
        let frame = until_frame(&mut ann, "pinned", |_| true).await;
        assert_eq!(frame["product"]["product_id"], product_id.as_str(), "{shape:?}: {frame}");
        assert_eq!(frame["product"]["title"], "Glow serum");
        assert_eq!(frame["product"]["stock"]["available"], 5);

        // A buyer's hold takes units off sale; every socket sees it.
        let buyer = client.token("bob", Role::Viewer);
        let path = format!("/api/v1/products/{product_id}/reservations");
        let held = client.post(&path, &buyer, None, json!({"quantity": 2})).await.unwrap();
        assert_eq!(held.status, 201, "{shape:?}: {}", held.body);
        let stock = until_frame(&mut ann, "stock", |_| true).await;
        assert_eq!((stock["product_id"].as_str(), stock["available"].as_u64()), (Some(product_id.as_str()), Some(3)));

        // A socket that joins later is greeted with the pin and its stock now.
        let (mut carol, _) = join(&client.base, &show_id, &client.token("carol", Role::Viewer)).await;
        let greeted = until_frame(&mut carol, "pinned", |_| true).await;
        assert_eq!(greeted["product"]["stock"]["available"], 3, "{shape:?}: {greeted}");
        deployment.stop().await.expect("clean stop");
    }
}
