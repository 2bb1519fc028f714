//! Secret values (the API token, a password): kept out of `Debug`, `Display` and logs.

use std::fmt;

/// Text that must never be printed: `Debug` and `Display` show `[redacted]`.
///
/// Read the value with [`expose`](Self::expose) at the one place that needs it
/// (the `Authorization` header, the login body).
#[derive(Clone, PartialEq, Eq)]
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(Secret);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(Secret(value.into()))
            }

            /// The secret text itself. Call it only where the value is sent, never to print it.
            pub fn expose(&self) -> &str {
                &self.0 .0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("[redacted]")
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::new(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::new(value)
            }
        }
    };
}

secret_type!(
    /// An SDM API token (the `key` returned by `POST auth/token/`), sent as `Authorization: Token …`.
    Token
);
secret_type!(
    /// A user's password, sent only to create a token.
    Password
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug_and_display() {
        let token = Token::new("0b5e1c5e-aaaa-4bbb-8ccc-123456789abc");
        let password = Password::new("hunter2");
        assert_eq!(format!("{token}"), "[redacted]");
        assert_eq!(format!("{token:?}"), "Token([redacted])");
        assert_eq!(format!("{password:#?}"), "Password(\n    [redacted],\n)");
        assert_eq!(token.expose(), "0b5e1c5e-aaaa-4bbb-8ccc-123456789abc");
        assert_eq!(password.expose(), "hunter2");
    }
}
