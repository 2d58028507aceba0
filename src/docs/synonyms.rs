//! Synonym groups for identity vocabulary ("2FA" = "MFA" = "TOTP", "login" = "sign in", ...)
//! and the query expansion that uses them. Groups hold phrases; a phrase found in a question
//! adds every other phrase of its group to the query, at a lower weight.

use super::analysis;

/// Each line is one group of interchangeable phrases (as a reader would write them).
const GROUPS: &[&[&str]] = &[
    &[
        "mfa",
        "2fa",
        "multi-factor",
        "multifactor",
        "two-factor",
        "second factor",
        "two-step verification",
        "totp",
        "authenticator app",
    ],
    &["login", "log in", "logon", "sign in", "signin"],
    &["logout", "log out", "sign out", "signout"],
    &["signup", "sign up", "register", "registration"],
    &[
        "passkey",
        "webauthn",
        "face id",
        "touch id",
        "biometric",
        "fido2",
        "windows hello",
    ],
    &["sso", "single sign-on"],
    &["idp", "identity provider"],
    &["tenant", "organization", "organisation", "org"],
    &["m2m", "machine-to-machine", "service account", "access key"],
    &["jwt", "session token", "json web token"],
    &[
        "otp",
        "one-time code",
        "one-time password",
        "verification code",
    ],
    &["magic link", "passwordless link", "email link"],
    &["passwordless", "magic link", "passkey"],
    &["deprovision", "offboard", "offboarding"],
    &["deactivate", "disable", "suspend"],
    &["rbac", "role-based access control"],
    &[
        "fga",
        "rebac",
        "fine-grained authorization",
        "relationship-based",
    ],
    &["rate limit", "429", "too many requests", "throttle"],
    &["social login", "social sign-in", "oauth provider"],
    &["a/b test", "ab test", "experiment", "split test"],
    &["custom claims", "jwt template"],
    &["scim", "provisioning", "deprovisioning", "directory sync"],
    &["theme", "branding", "look and feel", "styling"],
    &["audit log", "audit trail"],
    &["elevate", "elevation", "write window", "write mode"],
    &["entra", "azure ad", "azure active directory"],
    &["nextjs", "next.js"],
    &["nodejs", "node.js"],
    &["email", "e-mail"],
    &["client secret", "client credentials"],
    &["snapshot", "export project"],
    &["captcha", "bot protection"],
];

/// The groups as stemmed term sequences.
pub struct Synonyms {
    groups: Vec<Vec<Vec<String>>>,
}

fn contains(seq: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty() && seq.windows(phrase.len()).any(|w| w == phrase)
}

impl Synonyms {
    pub fn new() -> Self {
        let groups = GROUPS
            .iter()
            .map(|g| {
                g.iter()
                    .map(|p| analysis::terms(p))
                    .filter(|t| !t.is_empty())
                    .collect()
            })
            .collect();
        Synonyms { groups }
    }

    /// For a query whose full term sequence (stop words included) is `seq`: each group it
    /// mentions, as (the phrases of the query that matched, the other phrases of the group).
    pub fn expand(&self, seq: &[String]) -> Vec<(Vec<Vec<String>>, Vec<Vec<String>>)> {
        let mut out = Vec::new();
        for group in &self.groups {
            let (hit, other): (Vec<_>, Vec<_>) =
                group.iter().cloned().partition(|p| contains(seq, p));
            if !hit.is_empty() {
                out.push((hit, other));
            }
        }
        out
    }
}

impl Default for Synonyms {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_fa_brings_mfa_and_totp() {
        let s = Synonyms::new();
        let e: Vec<_> = s
            .expand(&analysis::terms("enable 2FA for admins"))
            .into_iter()
            .flat_map(|g| g.1)
            .collect();
        assert!(e.contains(&vec!["mfa".to_owned()]));
        assert!(e.contains(&vec!["totp".to_owned()]));
        assert!(!e.contains(&vec!["2fa".to_owned()]));
    }

    #[test]
    fn sign_in_phrase_brings_login() {
        let s = Synonyms::new();
        let e: Vec<_> = s
            .expand(&analysis::terms("users cannot sign in"))
            .into_iter()
            .flat_map(|g| g.1)
            .collect();
        assert!(e.contains(&vec!["login".to_owned()]));
    }
}
