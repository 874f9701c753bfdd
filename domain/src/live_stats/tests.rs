//! Given/when/then tests for a show's live stats: audience counts recorded
//! only when they change, health reports only while live, and samples stored
//! in a show's own stream before they had one of their own.

use cqrs_es::DomainEvent;
use cqrs_es::test::TestFramework;

use super::{LiveStats, LiveStatsCommand, LiveStatsEvent, StreamHealth, stream_of};
use crate::show::{ShowError, ShowStatus};

type LiveStatsTestFramework = TestFramework<LiveStats>;

fn count(show: ShowStatus, connected: u64, watching: u64) -> LiveStatsCommand {
    LiveStatsCommand::CountViewers { show, connected, watching }
}

fn health() -> StreamHealth {
    StreamHealth {
        input_bits_per_second: 2_500_000,
        frames_per_second: 30.0,
        dropped_frames: 0,
        encoder_lag_ms: 40,
        keyframe_interval_ms: 2000,
    }
}

#[test]
fn test_count_viewers_records_only_changes() {
    LiveStatsTestFramework::with(())
        .given_no_previous_events()
        .when(count(ShowStatus::Live, 5, 4))
        .then_expect_events(vec![LiveStatsEvent::ViewersCounted { connected: 5, watching: 4 }]);
    LiveStatsTestFramework::with(())
        .given(vec![LiveStatsEvent::ViewersCounted { connected: 5, watching: 4 }])
        .when(count(ShowStatus::Live, 5, 4))
        .then_expect_events(vec![]);
}

#[test]
fn test_count_viewers_refuses_more_watching_than_connected() {
    LiveStatsTestFramework::with(())
        .given_no_previous_events()
        .when(count(ShowStatus::Scheduled, 1, 2))
        .then_expect_error(ShowError::Invalid { field: "watching", reason: "cannot pass connected" });
}

#[test]
fn test_count_viewers_of_an_ended_show_changes_nothing() {
    LiveStatsTestFramework::with(())
        .given(vec![LiveStatsEvent::ViewersCounted { connected: 3, watching: 3 }])
        .when(count(ShowStatus::Ended, 0, 0))
        .then_expect_events(vec![]);
}

#[test]
fn test_count_viewers_of_an_unknown_show() {
    LiveStatsTestFramework::with(())
        .given_no_previous_events()
        .when(count(ShowStatus::New, 1, 1))
        .then_expect_error(ShowError::NotFound);
}

#[test]
fn test_stream_health_is_recorded_while_live_only() {
    LiveStatsTestFramework::with(())
        .given_no_previous_events()
        .when(LiveStatsCommand::ReportStreamHealth { show: ShowStatus::Live, health: health() })
        .then_expect_events(vec![LiveStatsEvent::StreamHealthReported { health: health() }]);
    LiveStatsTestFramework::with(())
        .given_no_previous_events()
        .when(LiveStatsCommand::ReportStreamHealth { show: ShowStatus::Scheduled, health: health() })
        .then_expect_error(ShowError::WrongStatus("scheduled"));
}

#[test]
fn test_events_are_tagged_with_their_event_type() {
    let events = vec![
        LiveStatsEvent::ViewersCounted { connected: 3, watching: 2 },
        LiveStatsEvent::StreamHealthReported { health: health() },
    ];
    for event in events {
        let json = serde_json::to_value(&event).expect("events serialize");
        assert_eq!(json["type"], event.event_type());
        assert_eq!(serde_json::from_value::<LiveStatsEvent>(json).expect("events deserialize"), event);
    }
}

#[test]
fn test_health_recorded_before_keyframe_intervals_were_measured_still_reads() {
    let stored = serde_json::json!({"type": "StreamHealthReported", "health": {
        "input_bits_per_second": 1, "frames_per_second": 30.0, "dropped_frames": 0, "encoder_lag_ms": 0}});
    let LiveStatsEvent::StreamHealthReported { health } = serde_json::from_value(stored).expect("an older event reads")
    else {
        panic!("not a health report")
    };
    assert_eq!(health.keyframe_interval_ms, 0);
}

#[test]
fn test_samples_once_stored_in_a_show_stream_read_as_live_stats() {
    // As `ShowEvent::ViewersCounted` wrote it into a show's stream.
    let stored = serde_json::json!({"type": "ViewersCounted", "connected": 7, "watching": 5});
    assert_eq!(stream_of("Show", "ViewersCounted"), "LiveStats");
    assert_eq!(stream_of("Show", "StreamHealthReported"), "LiveStats");
    assert_eq!(stream_of("Show", "ProductPinned"), "Show");
    assert_eq!(stream_of("LiveStats", "ViewersCounted"), "LiveStats");
    assert_eq!(stream_of("Product", "ViewersCounted"), "Product");
    let event: LiveStatsEvent = serde_json::from_value(stored).expect("a show-stream sample reads");
    assert_eq!(event, LiveStatsEvent::ViewersCounted { connected: 7, watching: 5 });
}

#[test]
fn test_reactions_are_recorded_per_window_and_add_up() {
    let counts = |pairs: &[(&str, u64)]| pairs.iter().map(|(e, n)| ((*e).to_owned(), *n)).collect();
    LiveStatsTestFramework::with(())
        .given(vec![LiveStatsEvent::ReactionsCounted { counts: counts(&[("❤", 3)]) }])
        .when(LiveStatsCommand::CountReactions { show: ShowStatus::Live, counts: counts(&[("❤", 2), ("🔥", 0)]) })
        .then_expect_events(vec![LiveStatsEvent::ReactionsCounted { counts: counts(&[("❤", 2)]) }]);
    LiveStatsTestFramework::with(())
        .given_no_previous_events()
        .when(LiveStatsCommand::CountReactions { show: ShowStatus::Live, counts: counts(&[("🔥", 0)]) })
        .then_expect_events(vec![]);
    LiveStatsTestFramework::with(())
        .given_no_previous_events()
        .when(LiveStatsCommand::CountReactions { show: ShowStatus::New, counts: counts(&[("❤", 1)]) })
        .then_expect_error(ShowError::NotFound);
    let mut stats = LiveStats::default();
    for event in [
        LiveStatsEvent::ReactionsCounted { counts: counts(&[("❤", 3)]) },
        LiveStatsEvent::ReactionsCounted { counts: counts(&[("❤", 2), ("🔥", 1)]) },
    ] {
        cqrs_es::Aggregate::apply(&mut stats, event);
    }
    assert_eq!(stats.reactions, counts(&[("❤", 5), ("🔥", 1)]));
}

#[test]
fn test_chat_is_counted_per_window_and_adds_up() {
    LiveStatsTestFramework::with(())
        .given(vec![LiveStatsEvent::ChatCounted { messages: 4 }])
        .when(LiveStatsCommand::CountChat { show: ShowStatus::Live, messages: 3 })
        .then_expect_events(vec![LiveStatsEvent::ChatCounted { messages: 3 }]);
    LiveStatsTestFramework::with(())
        .given_no_previous_events()
        .when(LiveStatsCommand::CountChat { show: ShowStatus::Ended, messages: 0 })
        .then_expect_events(vec![]);
    LiveStatsTestFramework::with(())
        .given_no_previous_events()
        .when(LiveStatsCommand::CountChat { show: ShowStatus::New, messages: 1 })
        .then_expect_error(ShowError::NotFound);
    let mut stats = LiveStats::default();
    for messages in [4, 3] {
        cqrs_es::Aggregate::apply(&mut stats, LiveStatsEvent::ChatCounted { messages });
    }
    assert_eq!(stats.chat_messages, 7);
}

#[test]
fn test_audience_samples_keep_the_peak_and_uniques_from_going_down() {
    let sample = |watching, peak, unique| LiveStatsCommand::SampleAudience {
        show: ShowStatus::Live,
        connected: watching,
        watching,
        peak,
        unique,
    };
    LiveStatsTestFramework::with(())
        .given(vec![LiveStatsEvent::AudienceSampled { connected: 900, watching: 900, peak: 1000, unique: 1500 }])
        .when(sample(200, 300, 1200))
        .then_expect_events(vec![LiveStatsEvent::AudienceSampled {
            connected: 200,
            watching: 200,
            peak: 1000,
            unique: 1500,
        }]);
    LiveStatsTestFramework::with(())
        .given_no_previous_events()
        .when(sample(5, 0, 4))
        .then_expect_events(vec![LiveStatsEvent::AudienceSampled { connected: 5, watching: 5, peak: 5, unique: 4 }]);
}
