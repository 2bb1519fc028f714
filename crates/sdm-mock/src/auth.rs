//! API tokens: issuing them per `token_name` (stable for a name) and checking the
//! `Authorization: Token <key>` header the way DRF's `TokenAuthentication` does.

use std::collections::HashMap;
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

/// The set of issued tokens. Keys derive from (seed, token name, revocations of that name), so
/// a name always gets the same key until it is revoked, as DRF's `get_or_create` gives back the
/// user's token until it is deleted; an issued key stays valid until
/// [`Tokens::revoke`] (then logging in again gives a new key).
pub(crate) struct Tokens {
    seed: u64,
    state: Mutex<Issued>,
}

/// What [`Tokens`] guards.
#[derive(Default)]
struct Issued {
    /// The valid keys, each with its token name.
    keys: HashMap<String, String>,
    /// How many times each token name's key was revoked.
    revoked: HashMap<String, u64>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.state.lock().map(|s| s.keys.len()).unwrap_or(0);
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
            state: Mutex::new(Issued::default()),
        };
        tokens.issue(DEFAULT_TOKEN_NAME);
        tokens
    }

    /// Issues (or re-issues) the key of `token_name` and returns it.
    pub(crate) fn issue(&self, token_name: &str) -> String {
        let mut state = self.lock();
        let revoked = state.revoked.get(token_name).copied().unwrap_or(0);
        let mut stream = mix_str(mix(self.seed, TOKEN_STREAM), token_name);
        if revoked > 0 {
            stream = mix(stream, revoked);
        }
        let key = Rng::new(stream).uuid_v4();
        state.keys.insert(key.clone(), token_name.to_owned());
        key
    }

    /// Makes `key` invalid from the next request on, as deleting its DRF `Token` row does;
    /// false when it was not a valid key.
    pub(crate) fn revoke(&self, key: &str) -> bool {
        let mut state = self.lock();
        let Some(name) = state.keys.remove(key) else {
            return false;
        };
        *state.revoked.entry(name).or_default() += 1;
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Issued> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether any issued key occurs anywhere in `text`.
    pub(crate) fn appear_in(&self, text: &[u8]) -> bool {
        let state = self.lock();
        state.keys.keys().any(|key| {
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
        if self.lock().keys.contains_key(key) {
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

    #[test]
    fn revoked_keys_stop_working_and_the_name_gets_a_new_one() {
        let tokens = Tokens::new(1);
        let old = tokens.issue("ci");
        let kept = tokens.issue("other");
        assert!(tokens.revoke(&old));
        assert!(!tokens.revoke(&old), "already revoked");
        assert_eq!(
            check(&tokens, &format!("Token {old}")),
            Err(AuthError::Invalid)
        );
        assert!(!tokens.appear_in(old.as_bytes()));
        assert_eq!(check(&tokens, &format!("Token {kept}")), Ok(()));
        let new = tokens.issue("ci");
        assert_ne!(new, old);
        assert_eq!(tokens.issue("ci"), new, "stable again until revoked");
        assert_eq!(check(&tokens, &format!("Token {new}")), Ok(()));
        assert!(!tokens.revoke("not-a-key"));
    }
}
