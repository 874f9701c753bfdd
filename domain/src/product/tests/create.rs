//! `Create`: a new product with its opening stock, and every refusal.

use super::*;
use crate::product::ProductError;

fn create_with(product_id: &str, sku: &str, title: &str, price_minor: i64) -> ProductCommand {
    ProductCommand::Create {
        product_id: product_id.to_owned(),
        seller: SELLER.to_owned(),
        sku: sku.to_owned(),
        title: title.to_owned(),
        price_minor,
        currency: eur(),
        stock: 10,
    }
}

fn created_with(sku: &str, title: &str, price_minor: i64) -> ProductEvent {
    ProductEvent::ProductCreated {
        product_id: PRODUCT.to_owned(),
        seller: SELLER.to_owned(),
        sku: sku.to_owned(),
        title: title.to_owned(),
        price_minor,
        currency: eur(),
        stock: stock(10, 10, 0, 0),
    }
}

fn invalid(field: &'static str, reason: &'static str) -> ProductError {
    ProductError::Invalid { field, reason }
}

#[test]
fn test_create_new_product() {
    let command = create(10);
    let expected = created(10);

    ProductTestFramework::with(()).given_no_previous_events().when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_create_with_no_stock() {
    let command = create(0);
    let expected = created(0);

    ProductTestFramework::with(()).given_no_previous_events().when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_create_free_product() {
    let command = create_with(PRODUCT, "MUG-01", "Ceramic mug", 0);
    let expected = created_with("MUG-01", "Ceramic mug", 0);

    ProductTestFramework::with(()).given_no_previous_events().when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_create_with_longest_sku_and_title() {
    let (sku, title) = ("S".repeat(64), "é".repeat(200));
    let command = create_with(PRODUCT, &sku, &title, 1_500);
    let expected = created_with(&sku, &title, 1_500);

    ProductTestFramework::with(()).given_no_previous_events().when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_create_with_most_stock_allowed() {
    let command = create(MAX_UNITS);
    let expected = created(MAX_UNITS);

    ProductTestFramework::with(()).given_no_previous_events().when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_create_duplicate() {
    let previous = created(10);
    let command = create(10);

    ProductTestFramework::with(()).given(vec![previous]).when(command).then_expect_error(ProductError::AlreadyExists);
}

#[test]
fn test_create_empty_product_id() {
    let command = create_with("", "MUG-01", "Ceramic mug", 1_500);

    ProductTestFramework::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(invalid("product_id", "must be 1 to 64 bytes"));
}

#[test]
fn test_create_too_long_product_id() {
    let command = create_with(&"p".repeat(65), "MUG-01", "Ceramic mug", 1_500);

    ProductTestFramework::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(invalid("product_id", "must be 1 to 64 bytes"));
}

#[test]
fn test_create_empty_sku() {
    let command = create_with(PRODUCT, "   ", "Ceramic mug", 1_500);

    ProductTestFramework::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(invalid("sku", "must not be empty"));
}

#[test]
fn test_create_too_long_sku() {
    let command = create_with(PRODUCT, &"S".repeat(65), "Ceramic mug", 1_500);

    ProductTestFramework::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(invalid("sku", "too long"));
}

#[test]
fn test_create_empty_title() {
    let command = create_with(PRODUCT, "MUG-01", "", 1_500);

    ProductTestFramework::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(invalid("title", "must not be empty"));
}

#[test]
fn test_create_too_long_title() {
    let command = create_with(PRODUCT, "MUG-01", &"é".repeat(201), 1_500);

    ProductTestFramework::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(invalid("title", "too long"));
}

#[test]
fn test_create_negative_price() {
    let command = create_with(PRODUCT, "MUG-01", "Ceramic mug", -1);

    ProductTestFramework::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(invalid("price_minor", "must not be negative"));
}

#[test]
fn test_create_stock_too_large() {
    let command = create(MAX_UNITS + 1);

    ProductTestFramework::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(invalid("stock", "must be at most 1000000000"));
}
