//! The Descope-shaped error every operation returns: `{errorCode, errorDescription,
//! errorMessage}` plus the HTTP status the REST face answers with.

use serde::Serialize;

/// An operation failure as the Descope management API reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{error_code}: {error_description}: {error_message}")]
pub struct ApiError {
    pub error_code: String,
    pub error_description: String,
    pub error_message: String,
    #[serde(skip)]
    pub status: u16,
}

impl ApiError {
    pub fn new(status: u16, code: &str, description: &str, message: impl Into<String>) -> Self {
        Self {
            error_code: code.into(),
            error_description: description.into(),
            error_message: message.into(),
            status,
        }
    }
    /// E011003: the request failed validation (bad or missing argument).
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(400, "E011003", "Request is invalid", message)
    }
    /// E011002: a required argument is missing.
    pub fn missing(message: impl Into<String>) -> Self {
        Self::new(400, "E011002", "Missing arguments", message)
    }
    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::new(404, code, "Not found", message)
    }
    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::new(409, code, "Already exists", message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, "E011005", "Forbidden", message)
    }
    /// An unexpected store or server failure; the message never carries internals worth hiding.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "E010000", "Internal error", message)
    }
}

impl From<crate::store::Error> for ApiError {
    fn from(e: crate::store::Error) -> Self {
        tracing::error!(error = %e, "store error");
        ApiError::internal("the store could not complete the request; it was rolled back")
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        ApiError::invalid(format!("invalid JSON: {e}"))
    }
}
