//! What happens to a hold after `Reserve`: `Release`, `ExpireHolds`, `Sell`,
//! and the `live_hold`/`next_deadline` queries the worker asks of the state.

use cqrs_es::Aggregate;

use super::*;
use crate::product::{Hold, ProductError};

fn release(buyer: &str, number: u64) -> ProductCommand {
    ProductCommand::Release { buyer: buyer.to_owned(), reservation_id: reservation(number) }
}

fn sell(number: u64) -> ProductCommand {
    ProductCommand::Sell { reservation_id: reservation(number), order_id: "o-1".to_owned() }
}

/// Ten units with three holds: #1 (2 units, due at 300), #2 (3 units, due at
/// 360) and #3 (1 unit, due at 420).
fn three_holds() -> Vec<ProductEvent> {
    vec![
        created(10),
        reserved(1, BUYER, 2, 0, stock(10, 8, 2, 0)),
        reserved(2, OTHER_BUYER, 3, 60, stock(10, 5, 5, 0)),
        reserved(3, BUYER, 1, 120, stock(10, 4, 6, 0)),
    ]
}

fn product_after(events: Vec<ProductEvent>) -> Product {
    let mut product = Product::default();
    for event in events {
        product.apply(event);
    }
    product
}

#[test]
fn test_release_returns_units() {
    let previous = three_holds();
    let command = release(OTHER_BUYER, 2);
    let expected =
        ProductEvent::ReservationReleased { reservation_id: reservation(2), quantity: 3, stock: stock(10, 7, 3, 0) };

    ProductTestFramework::with(()).given(previous).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_release_not_found() {
    let command = release(BUYER, 1);

    ProductTestFramework::with(()).given_no_previous_events().when(command).then_expect_error(ProductError::NotFound);
}

#[test]
fn test_release_unknown_reservation() {
    let previous = three_holds();
    let command = release(BUYER, 4);

    ProductTestFramework::with(()).given(previous).when(command).then_expect_error(ProductError::UnknownReservation);
}

#[test]
fn test_release_twice() {
    let mut previous = three_holds();
    previous.push(ProductEvent::ReservationReleased {
        reservation_id: reservation(1),
        quantity: 2,
        stock: stock(10, 6, 4, 0),
    });
    let command = release(BUYER, 1);

    ProductTestFramework::with(()).given(previous).when(command).then_expect_error(ProductError::UnknownReservation);
}

#[test]
fn test_release_other_buyers_reservation() {
    let previous = three_holds();
    let command = release(BUYER, 2);

    ProductTestFramework::with(()).given(previous).when(command).then_expect_error(ProductError::NotHolder);
}

#[test]
fn test_expire_holds_releases_only_due_ones() {
    let previous = three_holds();
    let command = ProductCommand::ExpireHolds { now: at(400) };
    let expected = vec![
        ProductEvent::ReservationExpired { reservation_id: reservation(1), quantity: 2, stock: stock(10, 6, 4, 0) },
        ProductEvent::ReservationExpired { reservation_id: reservation(2), quantity: 3, stock: stock(10, 9, 1, 0) },
    ];

    ProductTestFramework::with(()).given(previous).when(command).then_expect_events(expected);
}

#[test]
fn test_expire_holds_includes_a_hold_due_exactly_now() {
    let previous = three_holds();
    let command = ProductCommand::ExpireHolds { now: at(300) };
    let expected =
        ProductEvent::ReservationExpired { reservation_id: reservation(1), quantity: 2, stock: stock(10, 6, 4, 0) };

    ProductTestFramework::with(()).given(previous).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_expire_holds_none_due() {
    let previous = three_holds();
    let command = ProductCommand::ExpireHolds { now: at(299) };

    ProductTestFramework::with(()).given(previous).when(command).then_expect_events(vec![]);
}

#[test]
fn test_expire_holds_without_holds() {
    let previous = created(10);
    let command = ProductCommand::ExpireHolds { now: at(1_000) };

    ProductTestFramework::with(()).given(vec![previous]).when(command).then_expect_events(vec![]);
}

#[test]
fn test_expire_holds_skips_sold_holds() {
    let mut previous = three_holds();
    previous.push(ProductEvent::UnitsSold {
        reservation_id: reservation(1),
        order_id: "o-1".to_owned(),
        quantity: 2,
        stock: stock(10, 4, 4, 2),
    });
    let command = ProductCommand::ExpireHolds { now: at(360) };
    let expected =
        ProductEvent::ReservationExpired { reservation_id: reservation(2), quantity: 3, stock: stock(10, 7, 1, 2) };

    ProductTestFramework::with(()).given(previous).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_expire_holds_not_found() {
    let command = ProductCommand::ExpireHolds { now: at(0) };

    ProductTestFramework::with(()).given_no_previous_events().when(command).then_expect_error(ProductError::NotFound);
}

#[test]
fn test_sell_moves_reserved_to_sold() {
    let previous = three_holds();
    let command = sell(2);
    let expected = ProductEvent::UnitsSold {
        reservation_id: reservation(2),
        order_id: "o-1".to_owned(),
        quantity: 3,
        stock: stock(10, 4, 3, 3),
    };

    ProductTestFramework::with(()).given(previous).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_sell_unknown_reservation() {
    let previous = three_holds();
    let command = sell(4);

    ProductTestFramework::with(()).given(previous).when(command).then_expect_error(ProductError::UnknownReservation);
}

#[test]
fn test_sell_expired_reservation() {
    let mut previous = three_holds();
    previous.push(ProductEvent::ReservationExpired {
        reservation_id: reservation(1),
        quantity: 2,
        stock: stock(10, 6, 4, 0),
    });
    let command = sell(1);

    ProductTestFramework::with(()).given(previous).when(command).then_expect_error(ProductError::UnknownReservation);
}

#[test]
fn test_sell_not_found() {
    let command = sell(1);

    ProductTestFramework::with(()).given_no_previous_events().when(command).then_expect_error(ProductError::NotFound);
}

#[test]
fn test_live_hold_found() {
    let product = product_after(three_holds());

    let hold = product.live_hold(&reservation(2), OTHER_BUYER, at(359));

    assert_eq!(hold, Ok(&Hold { buyer: OTHER_BUYER.to_owned(), quantity: 3, expires_at: at(360) }));
}

#[test]
fn test_live_hold_expired() {
    let product = product_after(three_holds());

    let hold = product.live_hold(&reservation(2), OTHER_BUYER, at(360));

    assert_eq!(hold, Err(ProductError::ReservationExpired { expires_at: at(360) }));
}

#[test]
fn test_live_hold_not_holder() {
    let product = product_after(three_holds());

    let hold = product.live_hold(&reservation(2), BUYER, at(0));

    assert_eq!(hold, Err(ProductError::NotHolder));
}

#[test]
fn test_live_hold_unknown_reservation() {
    let product = product_after(three_holds());

    let hold = product.live_hold(&reservation(4), BUYER, at(0));

    assert_eq!(hold, Err(ProductError::UnknownReservation));
}

#[test]
fn test_live_hold_product_not_found() {
    let product = Product::default();

    let hold = product.live_hold(&reservation(1), BUYER, at(0));

    assert_eq!(hold, Err(ProductError::NotFound));
}

#[test]
fn test_next_deadline_is_the_earliest_hold() {
    let mut previous = three_holds();
    previous.push(ProductEvent::ReservationReleased {
        reservation_id: reservation(1),
        quantity: 2,
        stock: stock(10, 6, 4, 0),
    });
    let product = product_after(previous);

    assert_eq!(product.next_deadline(), Some(at(360)));
}

#[test]
fn test_next_deadline_without_holds() {
    let product = product_after(vec![created(10)]);

    assert_eq!(product.next_deadline(), None);
}

#[test]
fn test_live_hold_after_expiry_says_expired() {
    let mut product = product_after(three_holds());
    product.apply(ProductEvent::ReservationExpired {
        reservation_id: reservation(1),
        quantity: 2,
        stock: stock(10, 6, 4, 0),
    });

    let hold = product.live_hold(&reservation(1), BUYER, at(301));

    assert_eq!(hold, Err(ProductError::ReservationExpired { expires_at: at(300) }));
}

#[test]
fn test_live_hold_after_release_says_released() {
    let mut product = product_after(three_holds());
    product.apply(ProductEvent::ReservationReleased {
        reservation_id: reservation(3),
        quantity: 1,
        stock: stock(10, 5, 5, 0),
    });

    assert_eq!(product.live_hold(&reservation(3), BUYER, at(0)), Err(ProductError::ReservationReleased));
    assert_eq!(product.live_hold(&reservation(3), OTHER_BUYER, at(0)), Err(ProductError::NotHolder));
}

#[test]
fn test_live_hold_after_sale_names_the_order() {
    let mut product = product_after(three_holds());
    product.apply(ProductEvent::UnitsSold {
        reservation_id: reservation(1),
        order_id: "o-1".to_owned(),
        quantity: 2,
        stock: stock(10, 4, 4, 2),
    });

    let hold = product.live_hold(&reservation(1), BUYER, at(0));

    assert_eq!(hold, Err(ProductError::ReservationSold { order_id: "o-1".to_owned() }));
}
