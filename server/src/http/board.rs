//! PLACEHOLDER board
use crate::Node;
use axum::Router;
use utoipa::OpenApi;

pub fn router() -> Router<Node> {
    Router::new()
}

/// Operations for the OpenAPI document, as in `ops::OPERATIONS`.
pub const OPERATIONS: &[super::ops::Operation] = &[];

#[derive(OpenApi)]
#[openapi(components(schemas()))]
pub struct Schemas;
