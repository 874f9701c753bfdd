//! `Reserve`: first come, first served holds with a deadline.

use super::*;
use crate::product::ProductError;

#[test]
fn test_reserve_holds_units_until_the_deadline() {
    let previous = created(10);
    let command = reserve(BUYER, 3, 0);
    let expected = ProductEvent::UnitsReserved {
        reservation_id: ReservationId::new(PRODUCT, 1),
        buyer: BUYER.to_owned(),
        quantity: 3,
        expires_at: at(300),
        stock: stock(10, 7, 3, 0),
    };

    ProductTestFramework::with(()).given(vec![previous]).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_reserve_deadline_follows_hold_for() {
    let previous = created(10);
    let command =
        ProductCommand::Reserve { buyer: BUYER.to_owned(), quantity: 1, now: at(42), hold_for: Duration::seconds(90) };
    let expected = ProductEvent::UnitsReserved {
        reservation_id: reservation(1),
        buyer: BUYER.to_owned(),
        quantity: 1,
        expires_at: at(132),
        stock: stock(10, 9, 1, 0),
    };

    ProductTestFramework::with(()).given(vec![previous]).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_reserve_numbers_reservations_in_order() {
    let previous = vec![
        created(10),
        reserved(1, BUYER, 1, 0, stock(10, 9, 1, 0)),
        reserved(2, OTHER_BUYER, 1, 5, stock(10, 8, 2, 0)),
    ];
    let command = reserve(BUYER, 1, 10);
    let expected = reserved(3, BUYER, 1, 10, stock(10, 7, 3, 0));

    ProductTestFramework::with(()).given(previous).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_reserve_never_reuses_a_released_number() {
    let previous = vec![
        created(10),
        reserved(1, BUYER, 2, 0, stock(10, 8, 2, 0)),
        ProductEvent::ReservationReleased { reservation_id: reservation(1), quantity: 2, stock: stock(10, 10, 0, 0) },
    ];
    let command = reserve(BUYER, 1, 10);
    let expected = reserved(2, BUYER, 1, 10, stock(10, 9, 1, 0));

    ProductTestFramework::with(()).given(previous).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_reserve_exact_last_unit() {
    let previous = vec![created(3), reserved(1, OTHER_BUYER, 2, 0, stock(3, 1, 2, 0))];
    let command = reserve(BUYER, 1, 10);
    let expected = reserved(2, BUYER, 1, 10, stock(3, 0, 3, 0));

    ProductTestFramework::with(()).given(previous).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_reserve_not_found() {
    let command = reserve(BUYER, 1, 0);

    ProductTestFramework::with(()).given_no_previous_events().when(command).then_expect_error(ProductError::NotFound);
}

#[test]
fn test_reserve_zero_quantity() {
    let previous = created(10);
    let command = reserve(BUYER, 0, 0);

    ProductTestFramework::with(())
        .given(vec![previous])
        .when(command)
        .then_expect_error(ProductError::Invalid { field: "quantity", reason: "must be at least 1" });
}

#[test]
fn test_reserve_quantity_too_large() {
    let previous = created(10);
    let command = reserve(BUYER, MAX_UNITS + 1, 0);

    ProductTestFramework::with(())
        .given(vec![previous])
        .when(command)
        .then_expect_error(ProductError::Invalid { field: "quantity", reason: "must be at most 1000000000" });
}

#[test]
fn test_reserve_more_than_available() {
    let previous = vec![created(5), reserved(1, OTHER_BUYER, 3, 0, stock(5, 2, 3, 0))];
    let command = reserve(BUYER, 3, 10);

    ProductTestFramework::with(())
        .given(previous)
        .when(command)
        .then_expect_error(ProductError::SoldOut { available: 2 });
}

#[test]
fn test_reserve_sold_out() {
    let previous = vec![created(1), reserved(1, OTHER_BUYER, 1, 0, stock(1, 0, 1, 0))];
    let command = reserve(BUYER, 1, 10);

    ProductTestFramework::with(())
        .given(previous)
        .when(command)
        .then_expect_error(ProductError::SoldOut { available: 0 });
}
