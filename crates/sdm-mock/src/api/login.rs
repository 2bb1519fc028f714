//! `POST auth/token/`: DRF's `ObtainAuthToken` with e-mail, password and token name.

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::app::App;
use crate::auth::{EMAIL, PASSWORD};
use crate::query::Query;
use crate::responses;

/// The largest request body read (Django's default upload limit is of the same order).
const MAX_BODY: usize = 1 << 20;

/// Validates the credentials and answers `{"key": ...}`, or DRF's 400/415 errors.
pub(crate) async fn obtain_token(app: &App, req: Request) -> Response {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let Ok(body) = axum::body::to_bytes(req.into_body(), MAX_BODY).await else {
        return responses::detail(StatusCode::PAYLOAD_TOO_LARGE, "Request body is too large.");
    };
    let data = match parse_body(content_type.as_deref(), &body) {
        Ok(Value::Object(data)) => data,
        Ok(other) => {
            let message = format!(
                "Invalid data. Expected a dictionary, but got {}.",
                python_type(&other)
            );
            return field_errors([("non_field_errors", message)]);
        }
        Err(error) => return error.into_response(),
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

/// Why the body could not be parsed.
#[derive(Debug)]
enum BodyError {
    /// Invalid JSON (serde's message).
    Json(String),
    /// A media type no parser handles (the whole `Content-Type`).
    UnsupportedMediaType(String),
}

impl BodyError {
    /// DRF's 400 `ParseError` or 415 `UnsupportedMediaType`.
    fn into_response(self) -> Response {
        match self {
            Self::Json(message) => responses::detail(
                StatusCode::BAD_REQUEST,
                &format!("JSON parse error - {message}"),
            ),
            Self::UnsupportedMediaType(content_type) => responses::detail(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &format!("Unsupported media type \"{content_type}\" in request."),
            ),
        }
    }
}

/// Parses the body like DRF's JSON and form parsers; an absent `Content-Type` or an empty JSON
/// body gives an empty object.
fn parse_body(content_type: Option<&str>, body: &[u8]) -> Result<Value, BodyError> {
    let Some(content_type) = content_type else {
        return Ok(Value::Object(Map::new()));
    };
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media_type == "application/json" || media_type.ends_with("+json") {
        if body.is_empty() {
            return Ok(Value::Object(Map::new()));
        }
        return serde_json::from_slice(body).map_err(|e| BodyError::Json(e.to_string()));
    }
    if media_type == "application/x-www-form-urlencoded" {
        let text = String::from_utf8_lossy(body);
        let form = Query::parse(Some(&text));
        let map = form
            .pairs()
            .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
            .collect();
        return Ok(Value::Object(map));
    }
    Err(BodyError::UnsupportedMediaType(content_type.to_owned()))
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

/// The Python type name DRF reports for a non-object body.
fn python_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}
