//! `POST files/` (an upload, multipart or JSON rows) and `GET files/{id}/`, plus reading and
//! recording the body of a request answered some other way, so nothing a client sent goes
//! unseen.

use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::response::Response;
use http_body_util::BodyExt;

use crate::app::App;
use crate::files::receive::{self, Mode};
use crate::query::parse_int;
use crate::responses;
use crate::urls::Route;

/// Reads the upload to its end, stores it, and answers `201` with the file object; or DRF's
/// error. Every body read whole is recorded.
pub(crate) async fn create(app: &App, req: Request) -> Response {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let reading = receive::read(content_type.as_deref(), req.into_body(), Mode::Parse).await;
    let (status, response) = match reading.result {
        Ok(upload) => {
            let file = app
                .files
                .add(upload.name, upload.skip_lines, upload.outcome);
            (
                StatusCode::CREATED,
                responses::json(StatusCode::CREATED, &file),
            )
        }
        Err(rejection) => (
            rejection.status,
            responses::json(rejection.status, &rejection.body),
        ),
    };
    if let Some(hashes) = reading.hashes {
        app.ledger.record_upload(hashes.record(status.as_u16()));
    }
    response
}

/// One file, or DRF's 404 (a non-integer id included).
pub(crate) fn detail(app: &App, pk: &str) -> Response {
    let file = parse_int(pk)
        .and_then(|id| u64::try_from(id).ok())
        .and_then(|id| app.files.json(id));
    match file {
        Some(file) => responses::json(StatusCode::OK, &file),
        None => responses::not_found(),
    }
}

/// Reads the whole body of a request that is answered `status` without being served (`0`:
/// not answered at all); an upload (`POST files/`) is recorded. Closing a connection with
/// unread data would reset it, and a test must see what arrived.
pub(crate) async fn drain(app: &App, req: Request, status: u16) {
    let upload =
        req.method() == Method::POST && Route::resolve(req.uri().path()) == Some(Route::Files);
    if upload {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let reading = receive::read(content_type.as_deref(), req.into_body(), Mode::HashOnly).await;
        if let Some(hashes) = reading.hashes {
            app.ledger.record_upload(hashes.record(status));
        }
        return;
    }
    let mut body = req.into_body();
    while let Some(Ok(_)) = body.frame().await {}
}
