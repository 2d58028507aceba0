//! Sessions' security state: approvals of exact write requests, one-time passcodes sent out of
//! band, the lock-out after repeated failures, and the absolute write window.
//!
//! The flow: a write while no matching approval exists starts an approval ([`approvals`]),
//! whose passcode goes to the human through a [`channel`]; the human types it on the approval
//! page (`web::approve`); the window opens; the agent's retry of the *same* request runs once.

pub mod approvals;
pub mod channel;
pub mod otp;
pub mod totp;
