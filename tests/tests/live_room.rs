//! The live room against the real binary: chat that crosses gateways, keeps
//! its history and follows its rules; anonymous sessions that watch and are
//! counted; viewer counts summed across gateways that stay right when
//! sockets leave or a gateway dies.

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;

use cartcast_domain::Role;
use cartcast_domain::live_stats::LiveStats;
use cartcast_tests::live::{
    Socket, chat, error_frame, heartbeat, join, next, next_within, open, open_at, scheduled_show, text, until_said,
    until_viewers,
};
use cartcast_tests::{Client, Deployment, Shape};
use cqrs_es::Aggregate;

#[tokio::test]
async fn chat_crosses_gateways_keeps_its_history_and_replays_by_time() {
    let mut deployment = Deployment::start(Shape::Distributed, &[]).await.expect("start");
    let other = deployment.add_api().await.expect("a second gateway");
    let client = deployment.client();
    let show_id = scheduled_show(&client).await;
    let before = chrono::Utc::now();

    let (mut ann, history) = join(&client.base, &show_id, &client.token("ann", Role::Viewer)).await;
    assert!(history.is_empty(), "a new show has no chat");
    let (mut bob, _) = join(&other, &show_id, &client.token("bob", Role::Viewer)).await;

    let markup = "<b>50% off</b> <script>alert('x')</script> & more";
    chat(&mut ann, markup).await;
    let heard = until_said(&mut bob, markup).await;
    assert_eq!(heard["user"], "ann");
    assert_eq!(heard["text"], markup, "markup arrives as the same inert text");
    assert!(heard["id"].as_str().is_some_and(|id| !id.is_empty()) && heard["ts"].is_string(), "{heard}");
    until_said(&mut ann, markup).await;

    chat(&mut bob, "from the other gateway").await;
    until_said(&mut ann, "from the other gateway").await;
    let between = chrono::Utc::now();
    tokio::time::sleep(Duration::from_millis(1500)).await; // ann's rate limit
    chat(&mut ann, "third").await;
    until_said(&mut bob, "third").await;
    until_said(&mut ann, "third").await;

    // A reconnect, on either gateway, starts with the recent history in order.
    for base in [client.base.as_str(), other.as_str()] {
        let (_, history) = join(base, &show_id, &client.token("carol", Role::Viewer)).await;
        let texts: Vec<_> = history.iter().map(|m| m["text"].as_str().unwrap()).collect();
        assert_eq!(texts, [markup, "from the other gateway", "third"], "history on {base}");
    }

    // The chat's store of record replays it by time.
    let at = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let path = format!("/api/v1/shows/{show_id}/chat?from={}&to={}", at(before), at(between));
    let replay = client.get(&path.replace('+', "%2B"), None).await.unwrap();
    assert_eq!(replay.status, 200, "{}", replay.body);
    let texts: Vec<_> = replay.body["messages"].as_array().unwrap().iter().map(|m| m["text"].clone()).collect();
    assert_eq!(texts, [json!(markup), json!("from the other gateway")]);
    assert!(replay.body["messages"][0]["offset_s"].is_null(), "the show has not gone live");
    let everything = client.get(&format!("/api/v1/shows/{show_id}/chat"), None).await.unwrap();
    assert_eq!(everything.body["messages"].as_array().unwrap().len(), 3);
    let refused = client.get(&format!("/api/v1/shows/{show_id}/chat?from=12"), None).await.unwrap();
    assert_eq!(refused.code(), Some("invalid_input"), "seconds into a show that never went live");
    deployment.stop().await.expect("clean stop");
}

#[tokio::test]
async fn chat_rules_answer_with_codes_and_history_outlives_a_crash() {
    let mut deployment = Deployment::start(Shape::Embedded, &[]).await.expect("start");
    let client = deployment.client();
    let show_id = scheduled_show(&client).await;
    let (mut ann, _) = join(&client.base, &show_id, &client.token("ann", Role::Viewer)).await;

    chat(&mut ann, "first").await;
    until_said(&mut ann, "first").await;
    chat(&mut ann, "too soon").await;
    let (code, frame) = error_frame(&mut ann).await;
    assert_eq!(code, "rate_limited");
    let wait = frame["retry_after_ms"].as_u64().expect("retry_after_ms");
    assert!((1..=1500).contains(&wait), "{frame}");
    tokio::time::sleep(Duration::from_millis(wait)).await;
    chat(&mut ann, "after the wait").await;
    until_said(&mut ann, "after the wait").await;

    tokio::time::sleep(Duration::from_millis(1500)).await;
    chat(&mut ann, &"x".repeat(501)).await;
    assert_eq!(error_frame(&mut ann).await.0, "message_too_long");
    chat(&mut ann, " \n ").await;
    assert_eq!(error_frame(&mut ann).await.0, "empty_message");

    // What a viewer saw outlives a crash of the process.
    drop(ann);
    deployment.crash_and_restart().await.expect("crash and restart");
    let client = deployment.client();
    let (_, history) = join(&client.base, &show_id, &client.token("bob", Role::Viewer)).await;
    let texts: Vec<_> = history.iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["first", "after the wait"]);
    deployment.stop().await.expect("clean stop");
}

#[tokio::test]
async fn an_anonymous_session_watches_and_is_counted_but_does_not_post() {
    let mut deployment = Deployment::start(Shape::Embedded, &[]).await.expect("start");
    let client = deployment.client();
    let show_id = scheduled_show(&client).await;

    let session = client.post("/api/v1/sessions", "", None, json!({})).await.unwrap();
    assert_eq!(session.status, 201, "{}", session.body);
    let token = session.body["token"].as_str().unwrap().to_owned();
    assert!(session.body["session_id"].as_str().unwrap().starts_with("anon-"));
    assert!(session.body["expires_at"].is_string());

    let (mut anonymous, _) = join(&client.base, &show_id, &token).await;
    heartbeat(&mut anonymous, "playing").await;
    until_viewers(&mut anonymous, |connected, watching| (connected, watching) == (1, 1), Duration::from_secs(5))
        .await
        .expect("counted");
    chat(&mut anonymous, "hi").await;
    assert_eq!(error_frame(&mut anonymous).await.0, "sign_in_required");
    let product = client.create_product(&client.token("creator-1", Role::Creator), 5).await.unwrap();
    let path = format!("/api/v1/products/{product}/reservations");
    let reserve = client.post(&path, &token, None, json!({"quantity": 1})).await.unwrap();
    assert_eq!((reserve.status, reserve.code()), (403, Some("sign_in_required")));

    // Sessions are rate-limited per address.
    let mut answers = Vec::new();
    for _ in 0..30 {
        answers.push(client.post("/api/v1/sessions", "", None, json!({})).await.unwrap());
    }
    let limited = answers.iter().find(|answer| answer.status == 429).expect("a 429 within 30 sessions at once");
    assert_eq!(limited.code(), Some("rate_limited"));
    let retry_after = limited.retry_after.as_deref().and_then(|seconds| seconds.parse::<u64>().ok());
    assert!(retry_after.is_some_and(|seconds| seconds >= 1), "Retry-After: {:?}", limited.retry_after);
    deployment.stop().await.expect("clean stop");
}

/// Long enough for every gateway to have reported twice.
fn presence_settles() -> Duration {
    Duration::from_secs(5)
}

/// `count` sockets of distinct viewers on `base`, each saying it plays.
async fn audience(client: &Client, base: &str, show_id: &str, first: usize, count: usize) -> Vec<Socket> {
    futures::stream::iter(first..first + count)
        .map(|n| {
            let token = client.token(&format!("viewer-{n}"), Role::Viewer);
            async move {
                let mut socket = open_at(base, show_id, &token).await.expect("the socket opens");
                heartbeat(&mut socket, "playing").await;
                socket
            }
        })
        .buffer_unordered(32)
        .collect()
        .await
}

#[tokio::test]
async fn viewer_counts_are_summed_across_gateways_and_stay_right() {
    let mut deployment = Deployment::start(Shape::Distributed, &[]).await.expect("start");
    let other = deployment.add_api().await.expect("a second gateway");
    let client = deployment.client();
    let show_id = scheduled_show(&client).await;
    let settle = Duration::from_secs(15);

    // An observer that never sends a heartbeat: connected, not watching.
    let mut observer = open(&client, &show_id, &client.token("observer", Role::Viewer)).await;
    let mut here = audience(&client, &client.base, &show_id, 0, 700).await;
    let there = audience(&client, &other, &show_id, 700, 300).await;
    let counts = until_viewers(&mut observer, |c, w| (c, w) == (1001, 1000), settle).await.expect("1,000 join");
    assert_eq!(counts, (1001, 1000), "the observer is connected and not watching");

    // The summed count is what the show reads back too.
    let mut recorded = None;
    for _ in 0..100 {
        let show = client.get(&format!("/api/v1/shows/{show_id}"), None).await.unwrap();
        let viewers = &show.body["viewers"];
        recorded = Some((viewers["connected"].as_u64(), viewers["watching"].as_u64()));
        if recorded == Some((Some(1001), Some(1000))) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(recorded, Some((Some(1001), Some(1000))));

    // Every ~10 s the leading gateway samples the audience: the peak, and
    // unique sessions by a HyperLogLog merged over both gateways (~3%).
    let mut sampled = None;
    for _ in 0..100 {
        let show = client.get(&format!("/api/v1/shows/{show_id}"), None).await.unwrap();
        let (peak, unique) = (show.body["viewers"]["peak"].as_u64(), show.body["viewers"]["unique"].as_u64());
        sampled = Some((peak, unique));
        if peak == Some(1000) && unique.is_some_and(|unique| (940..=1060).contains(&unique)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (peak, unique) = sampled.unwrap();
    assert_eq!(peak, Some(1000), "the peak of watching");
    assert!(unique.is_some_and(|unique| (940..=1060).contains(&unique)), "1,001 unique sessions read as {unique:?}");

    // One session in five tabs counts once, though its tabs are on both
    // gateways and only one of them plays: a sixth tab's greeting says so.
    let tabs_token = client.token("one-viewer-five-tabs", Role::Viewer);
    let mut tabs = Vec::new();
    for n in 0..5 {
        let base = if n < 3 { other.as_str() } else { client.base.as_str() };
        let mut tab = open_at(base, &show_id, &tabs_token).await.unwrap();
        if n == 4 {
            heartbeat(&mut tab, "playing").await;
        }
        tabs.push(tab);
    }
    until_viewers(&mut observer, |c, w| (c, w) == (1002, 1001), settle).await.expect("the tabs' session counts");
    tokio::time::sleep(presence_settles()).await;
    let (mut sixth, _) = join(&other, &show_id, &tabs_token).await;
    let greeting = until_viewers(&mut sixth, |_, _| true, settle).await.unwrap();
    assert_eq!(greeting, (1002, 1001), "five tabs and a sixth of one session count once");
    drop((tabs, sixth));
    until_viewers(&mut observer, |c, w| (c, w) == (1001, 1000), settle).await.expect("the tabs closed");

    // Half leave.
    here.truncate(200);
    let counts = until_viewers(&mut observer, |c, w| (c, w) == (501, 500), settle).await.expect("500 leave");
    assert_eq!(counts, (501, 500));

    // The other gateway dies holding 300: they drop out within two report intervals.
    let killed = Instant::now();
    deployment.kill_api(1).await.expect("kill -9");
    until_viewers(&mut observer, |c, w| (c, w) == (201, 200), Duration::from_secs(10)).await.expect("drops by 300");
    let took = killed.elapsed();
    assert!(took <= Duration::from_millis(4500), "the count dropped {took:?} after the kill");
    drop(there);
    drop(here);
    deployment.stop().await.expect("clean stop");
}

/// The sum of a `reactions` frame's totals.
fn total(frame: &serde_json::Value) -> u64 {
    frame["totals"].as_object().unwrap().values().map(|count| count.as_u64().unwrap()).sum()
}

/// Frames until a `reactions` frame whose totals sum to `wanted`.
async fn until_reactions(socket: &mut Socket, wanted: u64) -> serde_json::Value {
    loop {
        let frame = next(socket).await.expect("frames, not a close");
        if frame["type"] == "reactions" && total(&frame) == wanted {
            return frame;
        }
    }
}

#[tokio::test]
async fn reactions_are_counted_exactly_across_gateways() {
    let mut deployment = Deployment::start(Shape::Distributed, &[]).await.expect("start");
    let other = deployment.add_api().await.expect("a second gateway");
    let client = deployment.client();
    let show_id = scheduled_show(&client).await;
    let (mut observer, _) = join(&client.base, &show_id, &client.token("observer", Role::Viewer)).await;

    // 200 viewers on two gateways send a burst of 50 each, all at once.
    let senders = futures::stream::iter(0..200)
        .map(|n| {
            let (token, base) = (client.token(&format!("fan-{n}"), Role::Viewer), [&client.base, &other][n % 2]);
            let show_id = show_id.clone();
            async move {
                let mut socket = open_at(base, &show_id, &token).await.expect("the socket opens");
                for k in 0..50 {
                    let emoji = ["❤", "🔥"][k % 2];
                    text(&mut socket, json!({"type": "react", "emoji": emoji}).to_string()).await;
                }
                socket
            }
        })
        .buffer_unordered(200)
        .collect::<Vec<_>>()
        .await;
    let seen = until_reactions(&mut observer, 10_000).await;
    assert_eq!(seen["totals"], json!({"❤": 5000, "🔥": 5000}));

    // A flood from one socket: past the burst a reaction is refused and not counted.
    let mut flood = open(&client, &show_id, &client.token("flood", Role::Viewer)).await;
    for _ in 0..55 {
        text(&mut flood, json!({"type": "react", "emoji": "👏"}).to_string()).await;
    }
    text(&mut flood, json!({"type": "react", "emoji": "<img src=x>"}).to_string()).await;
    let mut refused = Vec::new();
    while let Some(Ok(frame)) = next_within(&mut flood, Duration::from_secs(2)).await {
        if frame["type"] == "error" {
            refused.push(frame["code"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(refused.last().map(String::as_str), Some("unknown_emoji"));
    let limited = refused.iter().filter(|code| *code == "rate_limited").count() as u64;
    assert!((4..=5).contains(&limited), "55 at once against a burst of 50: {refused:?}");
    let accepted = 55 - limited;
    let seen = until_reactions(&mut observer, 10_000 + accepted).await;
    assert_eq!(seen["totals"]["👏"], accepted);

    // Every window is in the event feed, and the windows add up exactly.
    let mut recorded = 0;
    for _ in 0..100 {
        let show = client.get(&format!("/api/v1/shows/{show_id}"), None).await.unwrap();
        recorded = show.body["reactions"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).sum();
        if recorded == 10_000 + accepted {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(recorded, 10_000 + accepted, "the show's recorded totals");
    let store = deployment.event_store().await.unwrap();
    let windows = store.load(LiveStats::TYPE, &show_id).await.unwrap();
    let in_events: u64 = windows
        .iter()
        .filter(|event| event.event_type == "ReactionsCounted")
        .flat_map(|event| {
            event.payload["counts"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).collect::<Vec<_>>()
        })
        .sum();
    assert_eq!(in_events, 10_000 + accepted, "the ReactionsCounted windows sum to every accepted reaction");
    drop(senders);
    deployment.stop().await.expect("clean stop");
}

/// Posts `said`: Ok once it comes back in a chat frame, or the refusal's code and frame.
async fn post(socket: &mut Socket, said: &str) -> Result<(), (String, serde_json::Value)> {
    chat(socket, said).await;
    loop {
        let frame = next(socket).await.expect("frames, not a close");
        if frame["type"] == "error" {
            return Err((frame["code"].as_str().unwrap().to_owned(), frame));
        }
        if frame["type"] == "chat" && frame["messages"].as_array().unwrap().iter().any(|m| m["text"] == said) {
            return Ok(());
        }
    }
}

/// Frames until the socket closes; its close code.
async fn closed(socket: &mut Socket) -> Option<u16> {
    loop {
        if let Err(code) = next(socket).await {
            return code;
        }
    }
}

#[tokio::test]
async fn moderators_delete_ban_time_out_slow_down_and_highlight() {
    let mut deployment = Deployment::start(Shape::Embedded, &[]).await.expect("start");
    let client = deployment.client();
    let show_id = scheduled_show(&client).await;
    let creator = client.token("creator-1", Role::Creator);
    let mo = client.token("mo", Role::Viewer);
    let ann_token = client.token("ann", Role::Viewer);

    // A viewer may not moderate until the creator appoints them.
    let early = client.post("/api/v1/channels/creator-1/bans", &mo, None, json!({"user": "troll"})).await.unwrap();
    assert_eq!((early.status, early.code()), (403, Some("not_moderator")));
    let appointed = client.put("/api/v1/channels/me/moderators/mo", &creator, json!({})).await.unwrap();
    assert_eq!(appointed.status, 200, "{}", appointed.body);

    let (mut ann, _) = join(&client.base, &show_id, &ann_token).await;
    let (mut troll, _) = join(&client.base, &show_id, &client.token("troll", Role::Viewer)).await;
    let (mut timid, _) = join(&client.base, &show_id, &client.token("timid", Role::Viewer)).await;

    // A deleted message is gone for everyone, live and in history.
    chat(&mut troll, "visit my fake shop").await;
    let said = until_said(&mut ann, "visit my fake shop").await;
    let message_id = said["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/shows/{show_id}/chat/{message_id}");
    let refused = client.delete(&path, &ann_token, None).await.unwrap();
    assert_eq!((refused.status, refused.code()), (403, Some("not_moderator")));
    let deleted = client.delete(&path, &mo, None).await.unwrap();
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    loop {
        let frame = next(&mut ann).await.expect("frames");
        if frame["type"] == "chat_deleted" {
            assert_eq!(frame["message_id"], message_id.as_str());
            break;
        }
    }
    let (_, history) = join(&client.base, &show_id, &client.token("late", Role::Viewer)).await;
    assert!(history.iter().all(|m| m["id"] != message_id.as_str()), "not in history");
    let replay = client.get(&format!("/api/v1/shows/{show_id}/chat"), None).await.unwrap();
    assert!(replay.body["messages"].as_array().unwrap().iter().all(|m| m["id"] != message_id.as_str()));

    // A ban closes the user's sockets with 4403 and keeps them out; a timeout refuses their posts.
    let banned = client.post("/api/v1/channels/creator-1/bans", &mo, None, json!({"user": "troll"})).await.unwrap();
    assert_eq!(banned.status, 201, "{}", banned.body);
    assert_eq!(closed(&mut troll).await, Some(4403));
    let mut again = open(&client, &show_id, &client.token("troll", Role::Viewer)).await;
    assert_eq!(closed(&mut again).await, Some(4403), "a banned user cannot come back");
    let timeout = json!({"user": "timid", "duration_s": 60, "reason": "cool off"});
    let timed = client.post("/api/v1/channels/creator-1/bans", &mo, None, timeout).await.unwrap();
    assert_eq!(timed.status, 201, "{}", timed.body);
    // The gateway reads the rules within seconds: until then timid's posts still go through.
    let mut attempt = 0;
    let refusal = loop {
        tokio::time::sleep(Duration::from_millis(1600)).await;
        attempt += 1;
        if let Err(refused) = post(&mut timid, &format!("am I muted? {attempt}")).await {
            break refused;
        }
        assert!(attempt < 5, "the timeout never took");
    };
    assert_eq!(refusal.0, "timed_out");
    assert!(refusal.1["retry_after_ms"].as_u64().is_some_and(|ms| ms > 50_000 && ms <= 60_000), "{}", refusal.1);
    let unbanned = client.delete("/api/v1/channels/creator-1/bans/troll", &mo, None).await.unwrap();
    assert_eq!(unbanned.status, 200, "{}", unbanned.body);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (mut troll, _) = join(&client.base, &show_id, &client.token("troll", Role::Viewer)).await;
    chat(&mut troll, "sorry").await;
    until_said(&mut ann, "sorry").await;

    // Banned words and slow mode.
    let words = client.put("/api/v1/channels/me/banned-words", &creator, json!({"words": ["Scam"]})).await.unwrap();
    assert_eq!(words.status, 200, "{}", words.body);
    let slow = json!({"slow_mode_s": 10});
    let slowed = client.put(&format!("/api/v1/shows/{show_id}/chat-settings"), &mo, slow).await.unwrap();
    assert_eq!(slowed.status, 200, "{}", slowed.body);
    tokio::time::sleep(Duration::from_secs(3)).await;
    chat(&mut ann, "what a SCAM").await;
    assert_eq!(error_frame(&mut ann).await.0, "banned_word");
    chat(&mut ann, "fine deal").await;
    until_said(&mut ann, "fine deal").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    chat(&mut ann, "another").await;
    let (code, frame) = error_frame(&mut ann).await;
    assert_eq!(code, "rate_limited");
    assert!(frame["retry_after_ms"].as_u64().is_some_and(|ms| ms > 6_000), "slow mode: {frame}");

    // The rules read back: the show's settings for anyone, the channel's for its creator.
    let after = slowed.body["position"].as_u64().unwrap();
    let settings = client.get(&format!("/api/v1/shows/{show_id}/chat-settings?after={after}"), None).await.unwrap();
    assert_eq!(settings.body, json!({"slow_mode_s": 10, "followers_only": false, "moderators": ["mo"]}));
    let rules = client.get(&format!("/api/v1/channels/me/moderation?after={after}"), Some(&creator)).await.unwrap();
    assert_eq!(rules.body["moderators"], json!(["mo"]), "{}", rules.body);
    assert_eq!(rules.body["banned_words"], json!(["scam"]), "{}", rules.body);
    let bans = rules.body["bans"].as_array().unwrap();
    assert_eq!(bans.len(), 1, "troll is unbanned; timid's timeout runs: {}", rules.body);
    assert_eq!((bans[0]["user"].as_str(), bans[0]["reason"].as_str()), (Some("timid"), Some("cool off")));
    assert!(bans[0]["until"].is_string(), "{}", rules.body);
    let not_theirs = client.get("/api/v1/channels/me/moderation", Some(&mo)).await.unwrap();
    assert_eq!((not_theirs.status, not_theirs.code()), (403, Some("forbidden")));
    let nowhere = client.get("/api/v1/shows/no-such-show/chat-settings", None).await.unwrap();
    assert_eq!((nowhere.status, nowhere.code()), (404, Some("show_not_found")));

    // The creator's highlight reaches every socket and greets newcomers.
    let path = format!("/api/v1/shows/{show_id}/highlight");
    let highlighted = client.post(&path, &creator, None, json!({"text": "Drop at 8!"})).await.unwrap();
    assert_eq!(highlighted.status, 201, "{}", highlighted.body);
    loop {
        let frame = next(&mut ann).await.expect("frames");
        if frame["type"] == "highlight" {
            assert_eq!(
                (frame["message"]["text"].as_str(), frame["message"]["badge"].as_str()),
                (Some("Drop at 8!"), Some("creator"))
            );
            break;
        }
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut newcomer = open(&client, &show_id, &client.token("newcomer", Role::Viewer)).await;
    let mut greeted_with_highlight = false;
    for _ in 0..4 {
        let frame = next(&mut newcomer).await.expect("the greeting");
        greeted_with_highlight |= frame["type"] == "highlight" && frame["message"]["text"] == "Drop at 8!";
    }
    assert!(greeted_with_highlight, "the greeting carries the highlight");

    // Every action is an event of the channel's moderation stream.
    let store = deployment.event_store().await.unwrap();
    let types: Vec<_> =
        store.load("Moderation", "creator-1").await.unwrap().into_iter().map(|e| e.event_type).collect();
    assert_eq!(
        types,
        [
            "ModeratorAppointed",
            "ChatMessageDeleted",
            "UserBanned",
            "UserBanned",
            "UserUnbanned",
            "BannedWordsSet",
            "SlowModeSet",
            "MessageHighlighted"
        ]
    );
    deployment.stop().await.expect("clean stop");
}
