//! `POST auth/token/`: exchange an email and password for an API token.

use http::{Method, Request, StatusCode};
use serde::{Deserialize, Serialize};

use crate::config::ClientConfig;
use crate::error::{DecodeError, Error};
use crate::ops::Operation;
use crate::request::{self, Auth};
use crate::response::{Secrets, decode_json};
use crate::secret::{Password, Token};
use crate::transport::RequestBody;

/// Creates (or returns the existing) token named `token_name` for a user.
///
/// The same `token_name` always yields the same token; tokens do not expire by default.
#[derive(Clone, Debug)]
pub struct CreateToken {
    email: String,
    password: Password,
    token_name: String,
}

impl CreateToken {
    /// The operation for these credentials.
    pub fn new(
        email: impl Into<String>,
        password: Password,
        token_name: impl Into<String>,
    ) -> Self {
        Self {
            email: email.into(),
            password,
            token_name: token_name.into(),
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    email: &'a str,
    password: &'a str,
    token_name: &'a str,
}

#[derive(Deserialize)]
struct Created {
    key: String,
}

impl Operation for CreateToken {
    type Output = Token;

    fn name(&self) -> &'static str {
        "create_token"
    }

    fn describe(&self) -> String {
        "create token".to_owned()
    }

    fn request(&self, config: &ClientConfig) -> Result<Request<RequestBody>, Error> {
        let body = serde_json::to_vec(&Body {
            email: &self.email,
            password: self.password.expose(),
            token_name: &self.token_name,
        })
        .expect("a struct of strings always serializes");
        let url = config.base_url().endpoint(&["auth", "token"]);
        request::build(config, Method::POST, &url, Auth::None, Some(body))
    }

    /// Refused credentials are [`Error::Authentication`]. DRF answers them with
    /// `400 {"non_field_errors": [...]}`, not 401: a 400 with a message and no per-field errors.
    /// A 400 naming fields (a blank or malformed e-mail) stays an ordinary API error.
    ///
    /// The password is masked in whatever the server repeats of it.
    fn refine_error(&self, error: Error) -> Error {
        let error = error.mask_secrets(&Secrets::new([self.password.expose()]));
        match error {
            Error::Api(api)
                if api.status == StatusCode::BAD_REQUEST
                    && api.field_errors.is_empty()
                    && api.detail.is_some() =>
            {
                Error::Authentication(api)
            }
            other => other,
        }
    }

    /// The `key` must be able to be a token: not empty, visible ASCII only (what an
    /// `Authorization` header carries and a terminal prints safely). A key with a control
    /// character or a space is refused here, not saved or printed; its text is never quoted.
    fn parse_success(&self, status: StatusCode, body: &[u8]) -> Result<Token, Error> {
        let created = match decode_json::<Created>(|| self.describe(), status, body) {
            Ok(created) => created,
            Err(Error::Decode(error)) => return Err(Error::Decode(Box::new(error.redacted()))),
            Err(other) => return Err(other),
        };
        let problem = if created.key.is_empty() {
            Some("the key is empty".to_owned())
        } else {
            created
                .key
                .chars()
                .position(|c| !c.is_ascii_graphic())
                .map(|at| {
                    format!(
                        "the key has a character that is not visible ASCII at position {} (key not shown: it may be a secret)",
                        at + 1
                    )
                })
        };
        match problem {
            None => Ok(Token::new(created.key)),
            Some(message) => Err(Error::Decode(Box::new(DecodeError::new(
                self.describe(),
                status,
                "key".to_owned(),
                message,
                String::new(),
                None,
            )))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(body: &str) -> Error {
        let response = http::Response::builder()
            .status(400)
            .body(body.as_bytes().to_vec())
            .unwrap();
        CreateToken::new("a@b.c", Password::new("pw"), "t")
            .parse(&response)
            .unwrap_err()
    }

    #[test]
    fn wrong_credentials_are_told_apart_from_invalid_fields() {
        let wrong =
            refusal(r#"{"non_field_errors": ["Unable to log in with provided credentials."]}"#);
        assert!(matches!(wrong, Error::Authentication(_)), "{wrong:?}");
        let blank = refusal(r#"{"email": ["This field may not be blank."]}"#);
        assert!(matches!(blank, Error::Api(_)), "{blank:?}");
        let empty = refusal("");
        assert!(matches!(empty, Error::Api(_)), "{empty:?}");
    }
}
