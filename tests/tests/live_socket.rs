//! The live socket against the real binary: every kind of bad input gets an
//! `error` frame or a clean close with its documented code
//! (`realtime/PROTOCOL.md`), and the gateway keeps serving the show's other
//! sockets; a socket whose token expires is closed with 4440, and one
//! without a valid token with 4401.

use std::time::Duration;

use futures::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

use cartcast_domain::Role;
use cartcast_tests::live::{Socket, error_code, heartbeat, next, open, scheduled_show, text, until_watching};
use cartcast_tests::{Client, Deployment, Shape};

#[tokio::test]
async fn bad_input_on_the_live_socket_is_answered_and_the_show_goes_on() {
    let mut deployment = Deployment::start(Shape::Embedded, &[]).await.expect("start");
    let client = deployment.client();
    let show_id = scheduled_show(&client).await;
    let token = client.token("ann", Role::Viewer);

    // One well-behaved viewer watches throughout.
    let mut steady = open(&client, &show_id, &token).await;
    heartbeat(&mut steady, "playing").await;
    until_watching(&mut steady, 1).await;

    // Frames the gateway does not take are answered; the socket stays open.
    let token = client.token("bob", Role::Viewer);
    let mut socket = open(&client, &show_id, &token).await;
    text(&mut socket, "{\"type\": \"heartbeat\"").await;
    assert_eq!(error_code(&mut socket).await, "bad_frame", "malformed JSON");
    text(&mut socket, json!({"type": "teleport"}).to_string()).await;
    assert_eq!(error_code(&mut socket).await, "bad_frame", "unknown type");
    text(&mut socket, json!({"type": "heartbeat"}).to_string()).await;
    assert_eq!(error_code(&mut socket).await, "bad_frame", "missing field");
    socket.send(Message::binary(vec![0xff, 0x00])).await.unwrap();
    assert_eq!(error_code(&mut socket).await, "bad_frame", "binary frame");
    text(&mut socket, json!({"type": "chat", "text": "  "}).to_string()).await;
    assert_eq!(error_code(&mut socket).await, "empty_message", "a chat message needs text");
    heartbeat(&mut socket, "playing").await;
    until_watching(&mut socket, 2).await;

    // A frame over 16 KiB closes its socket with 1009.
    let token = client.token("carl", Role::Viewer);
    let mut big = open(&client, &show_id, &token).await;
    text(&mut big, json!({"type": "heartbeat", "state": "x".repeat(17 * 1024)}).to_string()).await;
    assert_eq!(next_close(&mut big).await, Some(1009), "frame too big");

    // Text that is not UTF-8 closes its socket with 1007.
    let mut garbled = open(&client, &show_id, &token).await;
    let frame = Frame::message(vec![0x7b, 0xff, 0xfe, 0x7d], OpCode::Data(Data::Text), true);
    garbled.send(Message::Frame(frame)).await.unwrap();
    assert_eq!(next_close(&mut garbled).await, Some(1007), "invalid UTF-8");

    // A flood closes its socket with 1008.
    let mut flood = open(&client, &show_id, &token).await;
    for _ in 0..500 {
        if flood.send(Message::text(json!({"type": "heartbeat", "state": "paused"}).to_string())).await.is_err() {
            break;
        }
    }
    assert_eq!(next_close(&mut flood).await, Some(1008), "flood");

    // Through all of it the steady viewer is served: the flood's and the
    // others' sockets leave the count and the well-formed one still watches.
    heartbeat(&mut steady, "playing").await;
    until_watching(&mut steady, 2).await;
    assert_eq!(still_answers(&mut socket).await, "poll_not_found", "the answered socket is still open");
    deployment.stop().await.expect("clean stop");
}

/// Send a vote in a show without a poll and read its answer's code: the socket still answers.
async fn still_answers(socket: &mut Socket) -> String {
    text(socket, json!({"type": "vote", "poll_id": "p", "option": 1}).to_string()).await;
    error_code(socket).await
}

/// Frames until the close; its code.
async fn next_close(socket: &mut Socket) -> Option<u16> {
    loop {
        if let Err(code) = next(socket).await {
            return code;
        }
    }
}

#[tokio::test]
async fn a_socket_whose_token_expires_is_closed_with_4440_and_a_bad_token_with_4401() {
    let mut deployment = Deployment::start(Shape::Embedded, &[]).await.expect("start");
    let client = deployment.client();
    let show_id = scheduled_show(&client).await;

    let short = client.token_with_ttl("ann", Role::Viewer, Duration::from_secs(2));
    let mut socket = open(&client, &show_id, &short).await;
    heartbeat(&mut socket, "playing").await;
    assert_eq!(next_close(&mut socket).await, Some(4440), "the expired token's socket is closed to reconnect");
    // Reconnecting with it is told the same way: a browser reads close codes, not HTTP statuses.
    let mut again = open(&client, &show_id, &short).await;
    assert_eq!(next_close(&mut again).await, Some(4440), "an expired token on connect");

    let forged = Client::new(&client.base, b"not the deployment's secret").token("ann", Role::Viewer);
    for token in [forged.as_str(), "garbage", ""] {
        let mut socket = open(&client, &show_id, token).await;
        assert_eq!(next_close(&mut socket).await, Some(4401), "token {token:?}");
    }
    deployment.stop().await.expect("clean stop");
}
