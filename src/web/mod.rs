//! Server-rendered pages for humans: the approval page.

pub mod approve;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::app::App;

/// Routes that need no bearer token (a human's browser has none; the passcode is the proof).
pub fn routes(app: Arc<App>) -> Router {
    Router::new()
        .route("/approve/{id}", get(approve::show).post(approve::submit))
        .with_state(app)
}
