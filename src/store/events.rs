//! Platform audit events (LoginSucceed, UserCreated, …): what SearchAudit and SearchAnalytics
//! read, and what operations such as test-user OTP generation append. This module owns the
//! event shapes, the filters and groupings every backend implements ([`Events`]), and the
//! calendar arithmetic of analytics buckets.
//!
//! A search can also cover idmcp's own journal (MCP tool calls, approvals, project switches…,
//! see [`crate::journal`]): [`Filter::mcp_company`] names the company whose records join the
//! platform events, each mapped to an `Mcp…` action ([`MCP_ACTIONS`]). The journal is only
//! read here, never changed, so its hash chain is untouched.

use serde_json::Value;

use super::Result;

/// One event as stored (times in epoch milliseconds).
#[derive(Clone, Debug, Default)]
pub struct Event {
    pub project_id: String,
    pub occurred: i64,
    pub action: String,
    pub kind: String,
    pub actor_id: String,
    pub user_id: String,
    pub login_id: String,
    pub method: String,
    pub device: String,
    pub geo: String,
    pub remote_address: String,
    pub tenants: Vec<String>,
    pub data: Value,
}

/// The filters SearchAudit and SearchAnalytics share. Empty lists mean "no constraint".
/// String matches on device, method, geo and login IDs ignore case; user IDs, actions,
/// actor IDs and tenant IDs are exact (they are identifiers).
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub project_id: String,
    /// Inclusive bounds in epoch milliseconds.
    pub from: i64,
    pub to: i64,
    pub user_ids: Vec<String>,
    pub actions: Vec<String>,
    pub excluded_actions: Vec<String>,
    pub devices: Vec<String>,
    pub methods: Vec<String>,
    pub geos: Vec<String>,
    pub remote_addresses: Vec<String>,
    pub login_ids: Vec<String>,
    pub excluded_login_ids: Vec<String>,
    /// Substrings, any of which the login ID must contain.
    pub login_ids_contain: Vec<String>,
    /// Substrings none of which the login ID may contain.
    pub login_ids_not_contain: Vec<String>,
    pub tenants: Vec<String>,
    /// Only events that carry no tenant.
    pub no_tenants: bool,
    pub actor_ids: Vec<String>,
    pub types: Vec<String>,
    /// `first` / `second` (the G7 factor marker in `data.factor`).
    pub factors: Vec<String>,
    /// Case-insensitive substring over every text column and the data.
    pub text: Option<String>,
    /// Also search idmcp's own journal records of this company (idmcp extension): those of
    /// the searched project and those bound to no project (e.g. `endElevation`). Never another
    /// company's: the company is the caller's, fixed by the dispatch path.
    pub mcp_company: Option<String>,
}

/// How journal records appear as audit actions: (journal `kind`, `outcome` or `None` for any,
/// action). The first match wins; a kind not listed becomes `Mcp<kind>`.
pub const MCP_ACTIONS: &[(&str, Option<&str>, &str)] = &[
    ("tool_call", None, "McpToolCall"),
    ("approval_requested", None, "McpApprovalRequested"),
    ("approval_refused_locked", None, "McpApprovalRefused"),
    (
        "approval_decision",
        Some("wrong_passcode"),
        "McpPasscodeFailed",
    ),
    ("approval_decision", None, "McpApprovalDecision"),
    ("project_switch", None, "McpProjectSwitch"),
    ("elevation_ended", None, "McpElevationEnded"),
    ("authentication", None, "McpAuthFailed"),
    ("revoke_all_elevations", None, "McpElevationsRevoked"),
];

/// Journal outcomes that are routine (`info`); every other outcome (refusals, errors, wrong
/// passcodes, CSRF rejections, lock-outs, failed deliveries) is a `warn`.
pub const MCP_INFO_OUTCOMES: &[&str] = &[
    "ok",
    "sent",
    "reused",
    "approved",
    "approval_required",
    "pending",
];

/// Whether an action name is one of idmcp's own (journal) actions.
pub fn is_mcp_action(action: &str) -> bool {
    action.starts_with("Mcp")
}

/// A stored event with its row id (negative for an idmcp journal record: minus its sequence
/// number).
#[derive(Clone, Debug)]
pub struct Stored {
    pub id: i64,
    pub event: Event,
}

impl Stored {
    /// The journal sequence number, when this is one of idmcp's own records.
    pub fn journal_seq(&self) -> Option<i64> {
        (self.id < 0).then_some(-self.id)
    }
}

/// The time bucket analytics group by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    Day,
    Week,
    Month,
}

pub const DAY_MS: i64 = 86_400_000;

/// Days since 1970-01-01 → (year, month 1-12, day 1-31), proleptic Gregorian (H. Hinnant).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) → days since 1970-01-01.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl Bucket {
    /// The first day (days since epoch, UTC) of the bucket holding `day`. Weeks start on
    /// Monday (ISO); 1970-01-01 was a Thursday.
    pub fn start_day(self, day: i64) -> i64 {
        match self {
            Bucket::Day => day,
            Bucket::Week => day - (day + 3).rem_euclid(7),
            Bucket::Month => {
                let (y, m, _) = civil_from_days(day);
                days_from_civil(y, m, 1)
            }
        }
    }
}

/// Which dimensions analytics groups by.
#[derive(Clone, Copy, Debug, Default)]
pub struct GroupBy {
    pub action: bool,
    pub device: bool,
    pub method: bool,
    pub geo: bool,
    pub tenant: bool,
    pub created: Option<Bucket>,
    /// Also count distinct users per group (G4).
    pub distinct_users: bool,
}

/// One analytics row. Dimensions not grouped by are empty; `bucket_start_ms` is set only
/// when grouping by time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Aggregate {
    pub action: String,
    pub device: String,
    pub method: String,
    pub geo: String,
    pub tenant: String,
    pub bucket_start_ms: Option<i64>,
    pub count: i64,
    pub distinct_users: Option<i64>,
}

/// Platform audit events of a project, and searches over them that can also take in the
/// company's idmcp journal records ([`Filter::mcp_company`]).
pub trait Events {
    fn insert(&self, e: &Event) -> Result<()>;
    /// One page of the events matching `f` (newest first unless `oldest_first`; ties in
    /// time by insertion order, journal records by sequence) and how many match in all.
    fn search(
        &self,
        f: &Filter,
        oldest_first: bool,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Stored>, i64)>;
    /// Counts the events matching `f` per group, sorted chronologically, then the largest
    /// groups first, then by names. An event with two tenants counts once for each.
    fn aggregate(&self, f: &Filter, g: &GroupBy) -> Result<Vec<Aggregate>>;
    /// The oldest event time of a project, if it has any events.
    fn oldest(&self, project_id: &str) -> Result<Option<i64>>;
}
