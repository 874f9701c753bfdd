//! Product commands: create a product, add stock, hold units (a reservation)
//! and give them back.

use cartcast_domain::ids::ReservationId;
use cartcast_domain::money::Currency;
use cartcast_domain::product::{Product, ProductCommand};
use cartcast_infra::outcome::{Answer, Outcome, ProductAnswer, Refusal, ReservationCreated, ReservationReleased};
use cartcast_infra::store::StoreError;

use super::{Aggregates, Deciding, Decision};

impl Aggregates {
    #[allow(clippy::too_many_arguments)] // the command's own fields, passed as they came
    pub(super) async fn create_product(
        &mut self,
        at: &mut Deciding<'_>,
        product_id: String,
        sku: String,
        title: String,
        price_minor: i64,
        currency: &str,
        stock: u64,
    ) -> Result<Decision, StoreError> {
        let currency = match Currency::parse(currency) {
            Ok(currency) => currency,
            Err(e) => {
                let outcome = Outcome::refusal(Refusal::invalid(format!("currency: {e}")));
                return Ok(Decision::Done { outcome, events: vec![] });
            }
        };
        let seller = at.envelope.actor.sub.clone();
        let command =
            ProductCommand::Create { product_id: product_id.clone(), seller, sku, title, price_minor, currency, stock };
        Ok(match self.products.execute(&product_id, command, &at.meta, at.staged).await? {
            Err(e) => Decision::refused(&e, vec![]),
            Ok(events) => {
                let product = product_answer(&product_id, self.products.get(&product_id).await?);
                Decision::answer(Answer::ProductCreated(product), events)
            }
        })
    }

    pub(super) async fn add_stock(
        &mut self,
        at: &mut Deciding<'_>,
        product_id: &str,
        add: u64,
    ) -> Result<Decision, StoreError> {
        let command = ProductCommand::AddStock { actor: at.envelope.actor.sub.clone(), add };
        Ok(match self.products.execute(product_id, command, &at.meta, at.staged).await? {
            Err(e) => Decision::refused(&e, vec![]),
            Ok(events) => {
                let product = product_answer(product_id, self.products.get(product_id).await?);
                Decision::answer(Answer::StockAdded(product), events)
            }
        })
    }

    pub(super) async fn reserve(
        &mut self,
        at: &mut Deciding<'_>,
        product_id: &str,
        quantity: u64,
        hold_for: chrono::Duration,
    ) -> Result<Decision, StoreError> {
        let command = ProductCommand::Reserve { buyer: at.envelope.actor.sub.clone(), quantity, now: at.now, hold_for };
        Ok(match self.products.execute(product_id, command, &at.meta, at.staged).await? {
            Err(e) => Decision::refused(&e, vec![]),
            Ok(events) => {
                let product = self.products.get(product_id).await?;
                let reservation_id = ReservationId::new(product_id, product.holds_taken).to_string();
                let hold = &product.holds[&reservation_id];
                let reserved = ReservationCreated {
                    product_id: product_id.to_owned(),
                    quantity: hold.quantity,
                    expires_at: hold.expires_at,
                    reservation_id,
                };
                Decision::answer(Answer::Reserved(reserved), events)
            }
        })
    }

    pub(super) async fn release(
        &mut self,
        at: &mut Deciding<'_>,
        reservation_id: ReservationId,
    ) -> Result<Decision, StoreError> {
        let product_id = reservation_id.product_id().to_owned();
        let command =
            ProductCommand::Release { buyer: at.envelope.actor.sub.clone(), reservation_id: reservation_id.clone() };
        Ok(match self.products.execute(&product_id, command, &at.meta, at.staged).await? {
            Err(e) => Decision::refused(&e, vec![]),
            Ok(events) => {
                let stock = self.products.get(&product_id).await?.stock.into();
                let released = ReservationReleased {
                    reservation_id: reservation_id.to_string(),
                    status: "released".to_owned(),
                    product_id,
                    stock,
                };
                Decision::answer(Answer::Released(released), events)
            }
        })
    }
}

fn product_answer(product_id: &str, product: &Product) -> ProductAnswer {
    ProductAnswer {
        product_id: product_id.to_owned(),
        seller: product.seller.clone(),
        sku: product.sku.clone(),
        title: product.title.clone(),
        price_minor: product.price_minor,
        currency: product.currency.as_ref().map(|c| c.as_str().to_owned()),
        stock: product.stock.into(),
    }
}
