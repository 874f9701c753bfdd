//! Given/when/then tests for the order aggregate: placement, every payment
//! outcome, and one capture per order.

use cqrs_es::DomainEvent;
use cqrs_es::test::TestFramework;

use super::{Order, OrderCommand, OrderError, OrderEvent, PaymentResult};
use crate::ids::ReservationId;
use crate::money::Currency;

type OrderTestFramework = TestFramework<Order>;

fn eur() -> Currency {
    Currency::parse("EUR").expect("EUR is an ISO 4217 code")
}

fn place() -> OrderCommand {
    OrderCommand::Place {
        order_id: "o-1".to_owned(),
        reservation_id: ReservationId::new("p-1", 7),
        product_id: "p-1".to_owned(),
        buyer: "buyer-1".to_owned(),
        seller: "seller-1".to_owned(),
        quantity: 2,
        amount_minor: 3_000,
        currency: eur(),
    }
}

fn placed() -> OrderEvent {
    OrderEvent::OrderPlaced {
        order_id: "o-1".to_owned(),
        reservation_id: ReservationId::new("p-1", 7),
        product_id: "p-1".to_owned(),
        buyer: "buyer-1".to_owned(),
        seller: "seller-1".to_owned(),
        quantity: 2,
        amount_minor: 3_000,
        currency: eur(),
    }
}

fn captured(capture_id: &str) -> OrderCommand {
    OrderCommand::RecordPayment(PaymentResult::Captured { capture_id: capture_id.to_owned() })
}

fn declined() -> OrderCommand {
    OrderCommand::RecordPayment(PaymentResult::Declined { reason: "card declined".to_owned() })
}

fn timed_out() -> OrderCommand {
    OrderCommand::RecordPayment(PaymentResult::TimedOut)
}

fn confirmed() -> Vec<OrderEvent> {
    vec![
        placed(),
        OrderEvent::PaymentCaptured { capture_id: "cap-1".to_owned(), amount_minor: 3_000 },
        OrderEvent::OrderConfirmed,
    ]
}

#[test]
fn test_place_new_order() {
    let command = place();
    let expected = placed();

    OrderTestFramework::with(()).given_no_previous_events().when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_place_twice() {
    let previous = placed();
    let command = place();

    OrderTestFramework::with(()).given(vec![previous]).when(command).then_expect_error(OrderError::AlreadyPlaced);
}

#[test]
fn test_place_after_settlement() {
    let previous = confirmed();
    let command = place();

    OrderTestFramework::with(()).given(previous).when(command).then_expect_error(OrderError::AlreadyPlaced);
}

#[test]
fn test_record_payment_before_placement() {
    let command = captured("cap-1");

    OrderTestFramework::with(()).given_no_previous_events().when(command).then_expect_error(OrderError::NotFound);
}

#[test]
fn test_record_payment_captured_confirms_for_the_placed_amount() {
    let previous = placed();
    let command = captured("cap-1");
    let expected = vec![
        OrderEvent::PaymentCaptured { capture_id: "cap-1".to_owned(), amount_minor: 3_000 },
        OrderEvent::OrderConfirmed,
    ];

    OrderTestFramework::with(()).given(vec![previous]).when(command).then_expect_events(expected);
}

#[test]
fn test_record_payment_declined() {
    let previous = placed();
    let command = declined();
    let expected = OrderEvent::PaymentDeclined { decline_code: "card declined".to_owned() };

    OrderTestFramework::with(()).given(vec![previous]).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_record_payment_timed_out_expires_the_order() {
    let previous = placed();
    let command = timed_out();
    let expected = OrderEvent::OrderExpired {
        reason: "the payment gateway did not answer in time; nothing was charged".to_owned(),
    };

    OrderTestFramework::with(()).given(vec![previous]).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_record_payment_second_capture_refused() {
    let previous = confirmed();
    let command = captured("cap-2");

    OrderTestFramework::with(())
        .given(previous)
        .when(command)
        .then_expect_error(OrderError::AlreadySettled("confirmed"));
}

#[test]
fn test_record_payment_decline_after_capture_refused() {
    let previous = confirmed();
    let command = declined();

    OrderTestFramework::with(())
        .given(previous)
        .when(command)
        .then_expect_error(OrderError::AlreadySettled("confirmed"));
}

#[test]
fn test_record_payment_capture_after_decline_refused() {
    let previous = vec![placed(), OrderEvent::PaymentDeclined { decline_code: "card declined".to_owned() }];
    let command = captured("cap-1");

    OrderTestFramework::with(())
        .given(previous)
        .when(command)
        .then_expect_error(OrderError::AlreadySettled("declined"));
}

#[test]
fn test_record_payment_capture_after_expiry_refused() {
    let previous = vec![placed(), OrderEvent::OrderExpired { reason: "the hold ran out".to_owned() }];
    let command = captured("cap-1");

    OrderTestFramework::with(()).given(previous).when(command).then_expect_error(OrderError::AlreadySettled("expired"));
}

#[test]
fn test_events_are_tagged_with_their_event_type() {
    let mut events = confirmed();
    events.push(OrderEvent::PaymentDeclined { decline_code: "card declined".to_owned() });
    events.push(OrderEvent::OrderExpired { reason: "the hold ran out".to_owned() });
    for event in events {
        let json = serde_json::to_value(&event).expect("events serialize");
        assert_eq!(json["type"], event.event_type());
        assert_eq!(serde_json::from_value::<OrderEvent>(json).expect("events deserialize"), event);
    }
}
