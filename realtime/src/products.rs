//! Pins and stock in a room: the product the creator pinned, with its live
//! stock, and every stock change of the show's products, from the show's
//! and its products' events as they are published. A window's changes of
//! one product go out as one `stock` frame with the latest count.

use std::collections::{BTreeMap, HashMap};

use cartcast_infra::outcome::{ProductAnswer, StockLevels};

/// The room's products: which it follows, which is pinned, what changed.
#[derive(Debug, Default)]
pub struct Shelf {
    /// The show's products, each with the stock its last event left (none
    /// before the room heard one).
    stock: HashMap<String, Option<StockLevels>>,
    pub pinned: Option<ProductAnswer>,
    /// Whether the sockets have not been told the pin as it is now.
    pub pin_changed: bool,
    /// The product taken off screen since the sockets were last told, when nothing is pinned now.
    pub unpinned: Option<String>,
    /// Available units per product changed in this window.
    changed: BTreeMap<String, u64>,
}

impl Shelf {
    /// The products the room follows.
    pub fn product_ids(&self) -> Vec<String> {
        self.stock.keys().cloned().collect()
    }

    /// Adds products the room does not follow yet; returns them.
    pub fn add(&mut self, product_ids: &[String]) -> Vec<String> {
        let new: Vec<String> = product_ids.iter().filter(|id| !self.stock.contains_key(*id)).cloned().collect();
        self.stock.extend(new.iter().map(|id| (id.clone(), None)));
        new
    }

    /// Pins `product`, with the stock the room heard last if it heard any
    /// (the read side it came from may lag the events).
    pub fn pin(&mut self, mut product: ProductAnswer) {
        if let Some(Some(heard)) = self.stock.get(&product.product_id) {
            product.stock = *heard;
        }
        if self.pinned.as_ref() != Some(&product) {
            self.pinned = Some(product);
            self.pin_changed = true;
            self.unpinned = None;
        }
    }

    /// Takes the pin off, if `product_id` is what is pinned.
    pub fn unpin(&mut self, product_id: &str) {
        if self.pinned.as_ref().is_some_and(|pinned| pinned.product_id == product_id) {
            self.pinned = None;
            self.pin_changed = true;
            self.unpinned = Some(product_id.to_owned());
        }
    }

    /// A stock change of one of the show's products.
    pub fn heard(&mut self, product_id: &str, stock: StockLevels) {
        let Some(known) = self.stock.get_mut(product_id) else { return };
        if known.is_some_and(|known| known == stock) {
            return;
        }
        *known = Some(stock);
        if let Some(pinned) = self.pinned.as_mut().filter(|pinned| pinned.product_id == product_id) {
            pinned.stock = stock;
        }
        self.changed.insert(product_id.to_owned(), stock.available);
    }

    /// The window's stock changes, oldest product id first.
    pub fn take_changed(&mut self) -> BTreeMap<String, u64> {
        std::mem::take(&mut self.changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(available: u64) -> StockLevels {
        StockLevels { total: 10, available, reserved: 10 - available, sold: 0 }
    }

    #[test]
    fn a_window_of_stock_changes_goes_out_as_the_latest_per_product() {
        let mut shelf = Shelf::default();
        assert_eq!(shelf.add(&["p1".into(), "p2".into()]), vec!["p1".to_owned(), "p2".to_owned()]);
        assert!(shelf.add(&["p1".into()]).is_empty());
        shelf.heard("p1", levels(9));
        shelf.heard("p1", levels(8));
        shelf.heard("p9", levels(1));
        assert_eq!(shelf.take_changed(), BTreeMap::from([("p1".to_owned(), 8)]));
        assert!(shelf.take_changed().is_empty());
        let product = ProductAnswer {
            product_id: "p1".into(),
            seller: "cara".into(),
            sku: "S".into(),
            title: "T".into(),
            price_minor: 100,
            currency: Some("EUR".into()),
            stock: levels(10),
        };
        shelf.pin(product);
        assert_eq!(shelf.pinned.as_ref().unwrap().stock.available, 8, "the stock heard is fresher than the read side");
    }
}
