//! idmcp: an MCP server for an identity platform, generated from one YAML file per operation.
//!
//! Start at [`dispatch`] (the one path every call takes), [`catalog`] (the generated registry)
//! and [`mcp`] (the MCP face). `operations/README.md` documents the operation format.

extern crate self as idmcp;

pub mod app;
pub mod catalog;
pub mod demo;
pub mod dispatch;
pub mod docs;
pub mod engine;
pub mod error;
pub mod https;
pub mod journal;
pub mod mcp;
pub mod session;
pub mod store;
#[doc(hidden)]
pub mod testkit;
pub mod web;

pub use idmcp_macros::operation;
