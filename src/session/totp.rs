//! TOTP (RFC 6238) as an alternative approval factor: a Descoper enrols an authenticator app
//! once (`idmcp totp enroll`), then the approval page accepts a current code of that app in
//! place of the out-of-band passcode — each 30-second step at most once, so a code seen over a
//! shoulder or replayed cannot approve a second request.
//!
//! A wrong authenticator code is not a separate path: it falls through to the passcode check
//! and so counts as a failed attempt (per approval and toward the principal's lock-out)
//! exactly like a wrong passcode.

use rand::TryRng;
use totp_rs::{Builder, Secret, Totp};

use super::approvals::{self, Approval, Refusal, Status};
use crate::store::{Db, Result as StoreResult};

/// The issuer shown by authenticator apps next to the account.
pub const ISSUER: &str = "idmcp";
/// Bytes of secret: 160 bits, as RFC 4226 §4 recommends.
const SECRET_BYTES: usize = 20;
/// Digits of a code; authenticator apps default to 6, which also tells a code apart from the
/// 8-digit passcode.
pub const DIGITS: usize = 6;

/// The authenticator parameters every app understands: SHA-1, 6 digits, 30-s steps, and one
/// step of clock skew either way. The account name only labels the otpauth URI (may be empty).
fn totp(secret: Vec<u8>, account: &str) -> Result<Totp, String> {
    Builder::new()
        .with_secret(secret)
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| format!("cannot build the authenticator: {e}"))
}

/// What `idmcp totp enroll` shows the human once.
pub struct Enrolment {
    /// `otpauth://totp/idmcp:<email>?secret=…&issuer=idmcp` — holds the secret.
    pub uri: String,
    /// The same URI as a QR code drawn with Unicode half blocks, for scanning off a terminal.
    pub qr: String,
}

/// Whether this Descoper has an authenticator enrolled.
pub fn enrolled(db: &dyn Db, descoper_id: &str) -> StoreResult<bool> {
    Ok(db.secrets().totp(descoper_id)?.is_some())
}

/// Creates a new secret for `descoper_id`. An existing enrolment is kept unless `replace`
/// (replacing it makes the old app entry useless, which its owner should decide knowingly).
pub fn enroll(
    db: &dyn Db,
    descoper_id: &str,
    email: &str,
    replace: bool,
    now_ms: i64,
) -> Result<Enrolment, String> {
    if !replace && enrolled(db, descoper_id).map_err(|e| e.to_string())? {
        return Err(format!(
            "{email} already has an authenticator enrolled; pass --replace to create a new secret (the old one stops working)"
        ));
    }
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::rngs::SysRng
        .try_fill_bytes(&mut secret)
        .map_err(|e| format!("the OS random number generator is unavailable: {e}"))?;
    let t = totp(secret.clone(), email)?;
    let encoded = Secret::from(secret).to_base32();
    // last_step starts at 0: every real step (now / 30 s) is larger.
    db.secrets()
        .put_totp(descoper_id, &encoded, now_ms)
        .map_err(|e| e.to_string())?;
    let uri = t
        .to_url()
        .map_err(|e| format!("cannot write the otpauth URI: {e}"))?;
    Ok(Enrolment {
        qr: qr_text(&uri)?,
        uri,
    })
}

/// Removes the enrolment; returns whether there was one.
pub fn remove(db: &dyn Db, descoper_id: &str) -> StoreResult<bool> {
    db.secrets().delete_totp(descoper_id)
}

/// `text` as a QR code in Unicode half blocks (two modules per character cell), drawn light on
/// dark with a quiet zone so that phone cameras read it off dark and light terminals alike.
pub fn qr_text(text: &str) -> Result<String, String> {
    use qrcode::render::unicode::Dense1x2;
    let code =
        qrcode::QrCode::new(text.as_bytes()).map_err(|e| format!("cannot draw a QR code: {e}"))?;
    Ok(code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

/// Whether `code` is a current authenticator code of `descoper_id` at `now_ms` whose step was
/// never accepted before; if so, that step is recorded as used (in the caller's transaction).
pub fn accept(db: &dyn Db, descoper_id: &str, code: &str, now_ms: i64) -> Result<bool, String> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(false);
    }
    let Some(crate::store::secrets::TotpRecord { secret, last_step }) =
        db.secrets().totp(descoper_id).map_err(|e| e.to_string())?
    else {
        return Ok(false);
    };
    let bytes = Secret::try_from_base32(&secret)
        .map_err(|e| format!("the stored authenticator secret is unreadable: {e}"))?;
    let t = totp(bytes.as_bytes().to_vec(), "")?;
    let Some(step) = t.check(code, (now_ms.max(0) / 1000) as u64) else {
        return Ok(false);
    };
    let step = step as i64;
    if step <= last_step {
        // This step (or a later one) already approved something: a replay.
        return Ok(false);
    }
    // Conditional update: two approvals racing with the same code cannot both win.
    db.secrets()
        .advance_totp(descoper_id, step)
        .map_err(|e| e.to_string())
}

/// Which factor approved a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Factor {
    Passcode,
    Totp,
}

impl Factor {
    pub fn as_str(self) -> &'static str {
        match self {
            Factor::Passcode => "passcode",
            Factor::Totp => "totp",
        }
    }
}

/// Approves `id` with `code`, which may be the passcode sent out of band or a current code of
/// the approval principal's authenticator. Refusals (expired, cancelled, locked, wrong code)
/// are those of [`approvals::approve`], which also counts every failed attempt.
pub fn approve(
    db: &dyn Db,
    id: &str,
    code: &str,
    window_ms: i64,
    now: i64,
) -> StoreResult<Result<(Approval, Factor), Refusal>> {
    if let Some(a) = approvals::load(db, id)?
        && a.status == Status::Pending
        && a.expires > now
        && approvals::locked_until(db, &a.descoper_id, now)?.is_none()
        // A store error here must not turn into "wrong code": fail closed with an error.
        && accept(db, &a.descoper_id, code, now).map_err(crate::store::Error::msg)?
    {
        // The same state change as a passcode approval: the request is approved and the
        // session's absolute write window opens now.
        let done = approvals::open_window(db, &a, window_ms, now)?;
        return Ok(Ok((done, Factor::Totp)));
    }
    Ok(approvals::approve(db, id, code, window_ms, now)?.map(|a| (a, Factor::Passcode)))
}
