//! The fixed set of categories a show is listed under.

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use cartcast_domain::show::CATEGORIES;

#[derive(Debug, Serialize, ToSchema)]
pub struct Category {
    #[schema(example = "fashion")]
    pub id: &'static str,
    #[schema(example = "Fashion")]
    pub name: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Categories {
    pub items: Vec<Category>,
}

#[utoipa::path(get, path = "/api/v1/categories", tag = "shows", responses((status = 200, body = Categories)))]
pub async fn categories() -> Json<Categories> {
    Json(Categories { items: CATEGORIES.iter().map(|c| Category { id: c.id, name: c.name }).collect() })
}
