//! `POST jobs/`: a job created from a ready file on a project, validated the way a DRF
//! serializer with primary-key fields would be.

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::Response;
use http_body_util::BodyExt;
use serde_json::{Map, Value, json};

use crate::app::App;
use crate::files::FileState;
use crate::files::receive::python_type;
use crate::responses;
use crate::world::PROJECTS;

/// The largest request body read (a job creation is a few dozen bytes).
const MAX_BODY: usize = 1 << 20;

/// Validates the request and creates the job (`201` with its object), or answers DRF's error.
/// `model_version` is optional (default 0); the body must be JSON (a missing `Content-Type`
/// reads as no data, as in DRF).
pub(crate) async fn create(app: &App, req: Request) -> Response {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let body = read_body(req).await;
    let media_type = content_type
        .as_deref()
        .and_then(|ct| ct.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let data = match media_type.as_str() {
        "" => Map::new(),
        "application/json" => {
            let Some(body) = body else {
                return responses::detail(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Request body is too large.",
                );
            };
            match parse(&body) {
                Ok(data) => data,
                Err(response) => return *response,
            }
        }
        _ => {
            let message = format!(
                "Unsupported media type \"{}\" in request.",
                content_type.unwrap_or_default()
            );
            return responses::detail(StatusCode::UNSUPPORTED_MEDIA_TYPE, &message);
        }
    };
    let mut errors = Map::new();
    let mut error = |field: &str, message: String| {
        errors.insert(field.to_owned(), json!([message]));
    };
    let file_id = pk(&data, "file_id").map_err(|e| error("file_id", e));
    let name = char_field(&data, "name").map_err(|e| error("name", e));
    let project = pk(&data, "project").map_err(|e| error("project", e));
    let model_version = integer(&data, "model_version").map_err(|e| error("model_version", e));
    let project = project.and_then(|id| {
        let known = u64::try_from(id).is_ok_and(|id| (1..=PROJECTS.len() as u64).contains(&id));
        if known {
            Ok(id as u64)
        } else {
            error("project", does_not_exist(id));
            Err(())
        }
    });
    let table = file_id.and_then(|id| {
        let state = u64::try_from(id).ok().and_then(|id| app.files.state(id));
        match state {
            None => {
                error("file_id", does_not_exist(id));
                Err(())
            }
            Some(FileState::Ready(table)) => Ok((id as u64, table)),
            Some(state) => {
                let message = format!("The file is not ready (status: {}).", state.as_str());
                error("file_id", message);
                Err(())
            }
        }
    });
    match (table, name, project, model_version) {
        (Ok((file_id, table)), Ok(name), Ok(project), Ok(_)) => {
            let job = app.live.create_job(name, project, file_id, table);
            responses::json(StatusCode::CREATED, &job)
        }
        _ => responses::json(StatusCode::BAD_REQUEST, &errors),
    }
}

/// The whole body, or `None` if it is over [`MAX_BODY`] (read to its end either way).
async fn read_body(req: Request) -> Option<Vec<u8>> {
    let mut body = req.into_body();
    let mut bytes = Vec::new();
    let mut over = false;
    while let Some(Ok(frame)) = body.frame().await {
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > MAX_BODY {
                over = true;
            } else {
                bytes.extend_from_slice(&data);
            }
        }
    }
    (!over).then_some(bytes)
}

/// The JSON object of the body (an empty body is an empty object), or DRF's 400.
fn parse(body: &[u8]) -> Result<Map<String, Value>, Box<Response>> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(data)) => Ok(data),
        Ok(other) => {
            let message = format!(
                "Invalid data. Expected a dictionary, but got {}.",
                python_type(&other)
            );
            Err(Box::new(responses::json(
                StatusCode::BAD_REQUEST,
                &json!({ "non_field_errors": [message] }),
            )))
        }
        Err(error) => Err(Box::new(responses::detail(
            StatusCode::BAD_REQUEST,
            &format!("JSON parse error - {error}"),
        ))),
    }
}

/// DRF's message for a primary key that matches nothing.
fn does_not_exist(pk: i64) -> String {
    format!("Invalid pk \"{pk}\" - object does not exist.")
}

/// A required primary-key field: a JSON integer.
fn pk(data: &Map<String, Value>, name: &str) -> Result<i64, String> {
    match data.get(name) {
        None => Err("This field is required.".into()),
        Some(Value::Null) => Err("This field may not be null.".into()),
        Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64().unwrap_or_default()),
        Some(other) => Err(format!(
            "Incorrect type. Expected pk value, received {}.",
            python_type(other)
        )),
    }
}

/// A required `CharField` (numbers are taken as their text, as DRF does).
fn char_field(data: &Map<String, Value>, name: &str) -> Result<String, String> {
    let text = match data.get(name) {
        None => return Err("This field is required.".into()),
        Some(Value::Null) => return Err("This field may not be null.".into()),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err("Not a valid string.".into()),
    };
    if text.is_empty() {
        return Err("This field may not be blank.".into());
    }
    Ok(text)
}

/// An optional `IntegerField` (default 0; integral numbers and numeric strings accepted).
fn integer(data: &Map<String, Value>, name: &str) -> Result<i64, String> {
    let invalid = || "A valid integer is required.".to_owned();
    match data.get(name) {
        None => Ok(0),
        Some(Value::Null) => Err("This field may not be null.".into()),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|x| x.fract() == 0.0).map(|x| x as i64))
            .ok_or_else(invalid),
        Some(Value::String(s)) => s.trim().parse().map_err(|_| invalid()),
        Some(_) => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_validate_like_drf() {
        let data = json!({"a": 5, "b": "5", "c": true, "d": null, "e": 2.0, "f": [1]});
        let data = data.as_object().unwrap();
        assert_eq!(pk(data, "a"), Ok(5));
        assert_eq!(
            pk(data, "b"),
            Err("Incorrect type. Expected pk value, received str.".into())
        );
        assert_eq!(
            pk(data, "c"),
            Err("Incorrect type. Expected pk value, received bool.".into())
        );
        assert_eq!(pk(data, "d"), Err("This field may not be null.".into()));
        assert_eq!(pk(data, "z"), Err("This field is required.".into()));
        assert_eq!(char_field(data, "a"), Ok("5".into()));
        assert_eq!(char_field(data, "f"), Err("Not a valid string.".into()));
        assert_eq!(integer(data, "b"), Ok(5));
        assert_eq!(integer(data, "e"), Ok(2));
        assert_eq!(integer(data, "z"), Ok(0));
        assert_eq!(
            integer(data, "f"),
            Err("A valid integer is required.".into())
        );
        assert_eq!(
            does_not_exist(9),
            "Invalid pk \"9\" - object does not exist."
        );
    }
}
