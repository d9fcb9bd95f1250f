//! API credentials: the SecretId/SecretKey pair and an optional STS token.
//!
//! The secret key and the token never appear in `Debug` output, so a
//! credentials value can be logged or embedded in a client's `Debug` safely.

use std::env::VarError;
use std::fmt;

/// Environment variable holding the secret id (the same name the Tencent Cloud
/// CLI and SDKs use).
pub const ENV_SECRET_ID: &str = "TENCENTCLOUD_SECRET_ID";
/// Environment variable holding the secret key.
pub const ENV_SECRET_KEY: &str = "TENCENTCLOUD_SECRET_KEY";
/// Optional environment variable holding an STS session token (sent as the
/// `Token` common parameter).
pub const ENV_SESSION_TOKEN: &str = "TENCENTCLOUD_SESSION_TOKEN";

/// Stands in for a secret in `Debug` output.
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A SecretId/SecretKey pair, plus an optional temporary-credential token.
///
/// `Debug` shows the secret id but redacts the key and the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    secret_id: String,
    secret_key: String,
    token: Option<String>,
}

/// Why credentials could not be loaded from the environment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// A required variable is not set.
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    /// A required variable is set but empty.
    #[error("environment variable {0} is set but empty")]
    Empty(&'static str),
    /// A variable is set but its value is not valid Unicode.
    #[error("environment variable {0} is not valid Unicode")]
    NotUnicode(&'static str),
}

impl CredentialsError {
    /// The name of the offending environment variable.
    #[must_use]
    pub fn variable(&self) -> &'static str {
        match self {
            Self::Missing(v) | Self::Empty(v) | Self::NotUnicode(v) => v,
        }
    }
}

impl Credentials {
    /// Credentials from a secret id and a secret key, without a token.
    pub fn new(secret_id: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Self {
            secret_id: secret_id.into(),
            secret_key: secret_key.into(),
            token: None,
        }
    }

    /// Adds (or replaces) the STS session token, sent as the `Token`
    /// parameter.
    #[must_use]
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Loads credentials from [`ENV_SECRET_ID`], [`ENV_SECRET_KEY`] and the
    /// optional [`ENV_SESSION_TOKEN`].
    ///
    /// The id and the key must be set and non-empty; an empty token variable
    /// counts as no token. Values are used verbatim (not trimmed).
    ///
    /// # Errors
    ///
    /// [`CredentialsError`] naming the first variable that is missing, empty,
    /// or not valid Unicode.
    pub fn from_env() -> Result<Self, CredentialsError> {
        Self::from_var_results(std::env::var)
    }

    /// Like [`Credentials::from_env`], but reads variables through `lookup`
    /// (which returns `None` for an unset variable) instead of the process
    /// environment — convenient for tests and for configuration sources other
    /// than the environment.
    ///
    /// # Errors
    ///
    /// [`CredentialsError`] naming the first variable that is missing or empty.
    pub fn from_lookup<F>(mut lookup: F) -> Result<Self, CredentialsError>
    where
        F: FnMut(&str) -> Option<String>,
    {
        Self::from_var_results(|name| lookup(name).ok_or(VarError::NotPresent))
    }

    fn from_var_results<F>(mut var: F) -> Result<Self, CredentialsError>
    where
        F: FnMut(&'static str) -> Result<String, VarError>,
    {
        let mut required = |name: &'static str| match var(name) {
            Ok(v) if v.is_empty() => Err(CredentialsError::Empty(name)),
            Ok(v) => Ok(v),
            Err(VarError::NotPresent) => Err(CredentialsError::Missing(name)),
            Err(VarError::NotUnicode(_)) => Err(CredentialsError::NotUnicode(name)),
        };
        let secret_id = required(ENV_SECRET_ID)?;
        let secret_key = required(ENV_SECRET_KEY)?;
        let token = match var(ENV_SESSION_TOKEN) {
            Ok(t) if t.is_empty() => None,
            Ok(t) => Some(t),
            Err(VarError::NotPresent) => None,
            Err(VarError::NotUnicode(_)) => {
                return Err(CredentialsError::NotUnicode(ENV_SESSION_TOKEN));
            }
        };
        Ok(Self {
            secret_id,
            secret_key,
            token,
        })
    }

    /// The secret id (sent as the `SecretId` parameter).
    #[must_use]
    pub fn secret_id(&self) -> &str {
        &self.secret_id
    }

    /// The secret key (used only to key the signature; never sent).
    #[must_use]
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// The STS session token, if any (sent as the `Token` parameter).
    #[must_use]
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &Redacted)
            .field("token", &self.token.as_ref().map(|_| Redacted))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::ffi::OsString;

    const ID: &str = "AKIDPcYDclDJCn8D0Xypa4f3pKYUCVYLn3zT";
    const KEY: &str = "pPgfLipfEXZ7VcRzhAMIyPaU7UbQyFFx";
    const TOKEN: &str = "sts-token-SECRET-123";

    fn lookup(vars: &[(&str, &str)]) -> impl FnMut(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn accessors() {
        let c = Credentials::new(ID, KEY);
        assert_eq!(c.secret_id(), ID);
        assert_eq!(c.secret_key(), KEY);
        assert_eq!(c.token(), None);
        let c = c.with_token(TOKEN);
        assert_eq!(c.token(), Some(TOKEN));
    }

    #[test]
    fn debug_redacts_key_and_token() {
        let c = Credentials::new(ID, KEY).with_token(TOKEN);
        for s in [format!("{c:?}"), format!("{c:#?}")] {
            assert!(s.contains(ID), "{s}");
            assert!(!s.contains(KEY), "{s}");
            assert!(!s.contains(TOKEN), "{s}");
            assert!(s.contains("<redacted>"), "{s}");
        }
        assert_eq!(
            format!("{c:?}"),
            format!(
                r#"Credentials {{ secret_id: "{ID}", secret_key: <redacted>, token: Some(<redacted>) }}"#
            )
        );
        let c = Credentials::new(ID, KEY);
        assert_eq!(
            format!("{c:?}"),
            format!(r#"Credentials {{ secret_id: "{ID}", secret_key: <redacted>, token: None }}"#)
        );
    }

    #[test]
    fn from_lookup_ok_without_token() {
        let c = Credentials::from_lookup(lookup(&[(ENV_SECRET_ID, ID), (ENV_SECRET_KEY, KEY)]));
        assert_eq!(c, Ok(Credentials::new(ID, KEY)));
    }

    #[test]
    fn from_lookup_ok_with_token() {
        let c = Credentials::from_lookup(lookup(&[
            (ENV_SECRET_ID, ID),
            (ENV_SECRET_KEY, KEY),
            (ENV_SESSION_TOKEN, TOKEN),
        ]));
        assert_eq!(c, Ok(Credentials::new(ID, KEY).with_token(TOKEN)));
    }

    #[test]
    fn empty_token_means_no_token() {
        let c = Credentials::from_lookup(lookup(&[
            (ENV_SECRET_ID, ID),
            (ENV_SECRET_KEY, KEY),
            (ENV_SESSION_TOKEN, ""),
        ]));
        assert_eq!(c.map(|c| c.token().map(str::to_owned)), Ok(None));
    }

    #[test]
    fn missing_variables_are_named() {
        let e = Credentials::from_lookup(lookup(&[(ENV_SECRET_KEY, KEY)]));
        assert_eq!(e, Err(CredentialsError::Missing(ENV_SECRET_ID)));
        let e = Credentials::from_lookup(lookup(&[(ENV_SECRET_ID, ID)]));
        assert_eq!(e, Err(CredentialsError::Missing(ENV_SECRET_KEY)));
        let err = Credentials::from_lookup(lookup(&[])).unwrap_err();
        assert_eq!(err.variable(), ENV_SECRET_ID);
        assert_eq!(
            err.to_string(),
            "environment variable TENCENTCLOUD_SECRET_ID is not set"
        );
    }

    #[test]
    fn empty_required_variables_are_errors() {
        let e = Credentials::from_lookup(lookup(&[(ENV_SECRET_ID, ""), (ENV_SECRET_KEY, KEY)]));
        assert_eq!(e, Err(CredentialsError::Empty(ENV_SECRET_ID)));
        let e = Credentials::from_lookup(lookup(&[(ENV_SECRET_ID, ID), (ENV_SECRET_KEY, "")]));
        assert_eq!(e, Err(CredentialsError::Empty(ENV_SECRET_KEY)));
        assert_eq!(
            e.unwrap_err().to_string(),
            "environment variable TENCENTCLOUD_SECRET_KEY is set but empty"
        );
    }

    #[test]
    fn not_unicode_is_reported() {
        let var = |name: &'static str| match name {
            ENV_SECRET_ID => Ok(ID.to_owned()),
            ENV_SECRET_KEY => Ok(KEY.to_owned()),
            _ => Err(VarError::NotUnicode(OsString::from("x"))),
        };
        assert_eq!(
            Credentials::from_var_results(var),
            Err(CredentialsError::NotUnicode(ENV_SESSION_TOKEN))
        );
        let var = |_: &'static str| Err(VarError::NotUnicode(OsString::from("x")));
        assert_eq!(
            Credentials::from_var_results(var),
            Err(CredentialsError::NotUnicode(ENV_SECRET_ID))
        );
    }

    #[test]
    fn lookup_is_asked_for_the_documented_names() {
        let mut asked = Vec::new();
        let _ = Credentials::from_lookup(|name| {
            asked.push(name.to_owned());
            Some("v".to_owned())
        });
        assert_eq!(asked, [ENV_SECRET_ID, ENV_SECRET_KEY, ENV_SESSION_TOKEN]);
    }
}
