//! `POST auth/token/`: DRF's `ObtainAuthToken` with e-mail, password and token name.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::app::App;
use crate::auth::{EMAIL, PASSWORD};
use crate::responses;

/// The largest request body read (Django's default upload limit is of the same order).
const MAX_BODY: usize = 1 << 20;

/// Validates the credentials and answers `{"key": ...}`, or DRF's 400 errors. The body is read
/// as JSON whatever its `Content-Type` (clients send JSON); an empty body is an empty object.
pub(crate) async fn obtain_token(app: &App, req: Request) -> Response {
    let Ok(body) = axum::body::to_bytes(req.into_body(), MAX_BODY).await else {
        return responses::detail(StatusCode::PAYLOAD_TOO_LARGE, "Request body is too large.");
    };
    let parsed = if body.is_empty() {
        Ok(Value::Object(Map::new()))
    } else {
        serde_json::from_slice(&body)
    };
    let data = match parsed {
        Ok(Value::Object(data)) => data,
        Ok(_) => {
            let message = "Invalid data. Expected a dictionary.".to_owned();
            return field_errors([("non_field_errors", message)]);
        }
        Err(error) => {
            let message = format!("JSON parse error - {error}");
            return responses::detail(StatusCode::BAD_REQUEST, &message);
        }
    };

    let fields = (
        char_field(&data, "email", true),
        char_field(&data, "password", false),
        char_field(&data, "token_name", true),
    );
    let (email, password, token_name) = match fields {
        (Ok(email), Ok(password), Ok(token_name)) => (email, password, token_name),
        (email, password, token_name) => {
            let errors = [
                ("email", email.err()),
                ("password", password.err()),
                ("token_name", token_name.err()),
            ];
            return field_errors(
                errors
                    .into_iter()
                    .filter_map(|(field, error)| error.map(|e| (field, e.to_owned()))),
            );
        }
    };
    if email != EMAIL || password != PASSWORD {
        return field_errors([(
            "non_field_errors",
            "Unable to log in with provided credentials.".to_owned(),
        )]);
    }
    let key = app.tokens.issue(&token_name);
    responses::json(StatusCode::OK, &json!({ "key": key }))
}

/// DRF's `CharField` validation (required, not null, a string or number, not blank).
fn char_field(data: &Map<String, Value>, name: &str, trim: bool) -> Result<String, &'static str> {
    let text = match data.get(name) {
        None => return Err("This field is required."),
        Some(Value::Null) => return Err("This field may not be null."),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err("Not a valid string."),
    };
    let text = if trim { text.trim().to_owned() } else { text };
    if text.trim().is_empty() {
        return Err("This field may not be blank.");
    }
    Ok(text)
}

/// A 400 with `{"field": ["message"], ...}`.
fn field_errors<'a>(errors: impl IntoIterator<Item = (&'a str, String)>) -> Response {
    let body: Map<String, Value> = errors
        .into_iter()
        .map(|(field, message)| (field.to_owned(), json!([message])))
        .collect();
    responses::json(StatusCode::BAD_REQUEST, &body)
}
