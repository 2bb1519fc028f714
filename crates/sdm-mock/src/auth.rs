//! API tokens: issuing them per `token_name` (stable for a name) and checking the
//! `Authorization: Token <key>` header the way DRF's `TokenAuthentication` does.

use std::collections::HashSet;
use std::fmt;
use std::sync::Mutex;

use axum::http::HeaderValue;

use crate::rng::{Rng, mix, mix_str};

/// Sub-stream label for tokens.
const TOKEN_STREAM: u64 = 0x70c;
/// The token name whose key [`crate::MockServer::token`] returns.
pub(crate) const DEFAULT_TOKEN_NAME: &str = "sdm-mock";
/// The e-mail address `POST auth/token/` accepts.
pub(crate) const EMAIL: &str = "demo@example.com";
/// The password `POST auth/token/` accepts.
pub(crate) const PASSWORD: &str = "sdm-mock-password";

/// Why a request is not authenticated; each maps to a DRF 401 `detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthError {
    /// No `Authorization: Token ...` header at all (or another scheme).
    NotProvided,
    /// `Token` with no key.
    NoCredentials,
    /// `Token` followed by more than one word.
    ContainsSpaces,
    /// A key that was never issued.
    Invalid,
}

impl AuthError {
    /// The DRF message for this failure.
    pub(crate) fn detail(self) -> &'static str {
        match self {
            Self::NotProvided => "Authentication credentials were not provided.",
            Self::NoCredentials => "Invalid token header. No credentials provided.",
            Self::ContainsSpaces => "Invalid token header. Token string should not contain spaces.",
            Self::Invalid => "Invalid token.",
        }
    }
}

/// The set of issued tokens. Keys derive from (seed, token name), so a name always gets the
/// same key; every issued key stays valid.
pub(crate) struct Tokens {
    seed: u64,
    issued: Mutex<HashSet<String>>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.issued.lock().map(|s| s.len()).unwrap_or(0);
        f.debug_struct("Tokens")
            .field("issued", &format_args!("[{count} redacted]"))
            .finish()
    }
}

impl Tokens {
    /// A token store for a world seed, with the default token already issued.
    pub(crate) fn new(seed: u64) -> Self {
        let tokens = Self {
            seed,
            issued: Mutex::new(HashSet::new()),
        };
        tokens.issue(DEFAULT_TOKEN_NAME);
        tokens
    }

    /// Issues (or re-issues) the key of `token_name` and returns it.
    pub(crate) fn issue(&self, token_name: &str) -> String {
        let key = Rng::new(mix_str(mix(self.seed, TOKEN_STREAM), token_name)).uuid_v4();
        self.issued
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(key.clone());
        key
    }

    /// Whether any issued key occurs anywhere in `text`.
    pub(crate) fn appear_in(&self, text: &[u8]) -> bool {
        let issued = self
            .issued
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        issued.iter().any(|key| {
            let key = key.as_bytes();
            text.windows(key.len()).any(|w| w == key)
        })
    }

    /// Checks an `Authorization` header value.
    pub(crate) fn check(&self, header: Option<&HeaderValue>) -> Result<(), AuthError> {
        let Some(header) = header else {
            return Err(AuthError::NotProvided);
        };
        let mut words = header
            .as_bytes()
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty());
        match words.next() {
            Some(scheme) if scheme.eq_ignore_ascii_case(b"token") => {}
            _ => return Err(AuthError::NotProvided),
        }
        let key = words.next().ok_or(AuthError::NoCredentials)?;
        if words.next().is_some() {
            return Err(AuthError::ContainsSpaces);
        }
        let key = std::str::from_utf8(key).map_err(|_| AuthError::Invalid)?;
        let issued = self
            .issued
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if issued.contains(key) {
            Ok(())
        } else {
            Err(AuthError::Invalid)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(tokens: &Tokens, header: &str) -> Result<(), AuthError> {
        tokens.check(Some(&HeaderValue::from_str(header).unwrap()))
    }

    #[test]
    fn issues_stable_tokens_and_checks_headers() {
        let tokens = Tokens::new(1);
        let default = tokens.issue(DEFAULT_TOKEN_NAME);
        assert_eq!(default, Tokens::new(1).issue(DEFAULT_TOKEN_NAME));
        assert_eq!(check(&tokens, &format!("Token {default}")), Ok(()));
        assert_eq!(check(&tokens, &format!("token  {default} ")), Ok(()));
        assert_eq!(tokens.check(None), Err(AuthError::NotProvided));
        assert_eq!(
            check(&tokens, &format!("Bearer {default}")),
            Err(AuthError::NotProvided)
        );
        assert_eq!(check(&tokens, "Token"), Err(AuthError::NoCredentials));
        assert_eq!(check(&tokens, "Token a b"), Err(AuthError::ContainsSpaces));
        assert_eq!(check(&tokens, "Token nope"), Err(AuthError::Invalid));
        assert!(tokens.appear_in(format!("/x?t={default}&y").as_bytes()));
        assert!(!tokens.appear_in(b"Token nope"));

        let other = tokens.issue("ci");
        assert_ne!(other, default);
        assert_eq!(check(&tokens, &format!("Token {other}")), Ok(()));
        assert_eq!(
            check(&Tokens::new(1), &format!("Token {other}")),
            Err(AuthError::Invalid)
        );
    }
}
