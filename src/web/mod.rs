//! Server-rendered pages for humans (the approval page lives here).

use std::sync::Arc;

use axum::Router;

use crate::app::App;

/// Routes that need no bearer token (a human's browser has none).
pub fn routes(_app: Arc<App>) -> Router {
    Router::new()
}
