//! `AddStock`: the seller adds units, within the per-product ceiling.

use super::*;
use crate::product::ProductError;

fn add_stock(actor: &str, add: u64) -> ProductCommand {
    ProductCommand::AddStock { actor: actor.to_owned(), add }
}

#[test]
fn test_add_stock_increases_total_and_available() {
    let previous = created(10);
    let command = add_stock(SELLER, 5);
    let expected = ProductEvent::StockAdded { added: 5, stock: stock(15, 15, 0, 0) };

    ProductTestFramework::with(()).given(vec![previous]).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_add_stock_leaves_reserved_units_held() {
    let previous = vec![created(10), reserved(1, BUYER, 4, 0, stock(10, 6, 4, 0))];
    let command = add_stock(SELLER, 5);
    let expected = ProductEvent::StockAdded { added: 5, stock: stock(15, 11, 4, 0) };

    ProductTestFramework::with(()).given(previous).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_add_stock_up_to_the_ceiling() {
    let previous = created(10);
    let command = add_stock(SELLER, MAX_UNITS - 10);
    let expected = ProductEvent::StockAdded { added: MAX_UNITS - 10, stock: stock(MAX_UNITS, MAX_UNITS, 0, 0) };

    ProductTestFramework::with(()).given(vec![previous]).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_add_stock_not_found() {
    let command = add_stock(SELLER, 5);

    ProductTestFramework::with(()).given_no_previous_events().when(command).then_expect_error(ProductError::NotFound);
}

#[test]
fn test_add_stock_not_seller() {
    let previous = created(10);
    let command = add_stock(BUYER, 5);

    ProductTestFramework::with(()).given(vec![previous]).when(command).then_expect_error(ProductError::NotSeller);
}

#[test]
fn test_add_stock_zero() {
    let previous = created(10);
    let command = add_stock(SELLER, 0);

    ProductTestFramework::with(())
        .given(vec![previous])
        .when(command)
        .then_expect_error(ProductError::Invalid { field: "add", reason: "must be at least 1" });
}

#[test]
fn test_add_stock_more_than_one_change_may_carry() {
    let previous = created(0);
    let command = add_stock(SELLER, MAX_UNITS + 1);

    ProductTestFramework::with(())
        .given(vec![previous])
        .when(command)
        .then_expect_error(ProductError::Invalid { field: "add", reason: "must be at most 1000000000" });
}

#[test]
fn test_add_stock_overflow() {
    let previous = created(MAX_UNITS - 1);
    let command = add_stock(SELLER, 2);

    ProductTestFramework::with(())
        .given(vec![previous])
        .when(command)
        .then_expect_error(ProductError::Invalid { field: "add", reason: "total stock would exceed 1000000000" });
}

#[test]
fn test_add_stock_overflow_counts_sold_units() {
    let previous = vec![
        created(MAX_UNITS),
        reserved(1, BUYER, 3, 0, stock(MAX_UNITS, MAX_UNITS - 3, 3, 0)),
        ProductEvent::UnitsSold {
            reservation_id: reservation(1),
            order_id: "o-1".to_owned(),
            quantity: 3,
            stock: stock(MAX_UNITS, MAX_UNITS - 3, 0, 3),
        },
    ];
    let command = add_stock(SELLER, 1);

    ProductTestFramework::with(())
        .given(previous)
        .when(command)
        .then_expect_error(ProductError::Invalid { field: "add", reason: "total stock would exceed 1000000000" });
}
