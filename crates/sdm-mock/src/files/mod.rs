//! Uploaded files (`POST files/`): read from the request body as it streams
//! ([`receive`]), parsed ([`csv`], [`multipart`]), and kept with a status that follows the
//! clock: `parsing` for [`crate::MockBuilder::parse_for`], then `ready` or `error`.

mod csv;
mod multipart;
pub(crate) mod receive;
mod stash;
mod table;

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{Value, json};

use crate::datetime::format_utc;
pub(crate) use table::Table;

/// How long a file reads as `parsing` unless [`crate::MockBuilder::parse_for`] says otherwise.
pub(crate) const DEFAULT_PARSE_FOR: Duration = Duration::from_millis(500);

/// What parsing a file gave.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// Its rows (none for the formats the mock does not parse).
    Ready(Arc<Table>),
    /// Why it could not be parsed (`parsing_error`).
    Failed(String),
}

/// A file's state at one instant.
#[derive(Debug, Clone)]
pub(crate) enum FileState {
    /// Still `parsing`.
    Parsing,
    /// `ready`, with its rows.
    Ready(Arc<Table>),
    /// `error`.
    Error,
}

impl FileState {
    /// The `status` as the API spells it.
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            Self::Parsing => "parsing",
            Self::Ready(_) => "ready",
            Self::Error => "error",
        }
    }
}

/// One uploaded file.
#[derive(Debug)]
struct StoredFile {
    name: String,
    skip_lines: u64,
    creation_date: String,
    added: Instant,
    outcome: Outcome,
}

/// Every uploaded file; ids are positions + 1.
#[derive(Debug)]
pub(crate) struct Files {
    parse_for: Duration,
    files: RwLock<Vec<StoredFile>>,
}

impl Files {
    /// An empty store whose files parse for `parse_for`.
    pub(crate) fn new(parse_for: Duration) -> Self {
        Self {
            parse_for,
            files: RwLock::default(),
        }
    }

    /// Adds a file (its outcome is known already, but shown only once parsing is over);
    /// returns its object as it reads now.
    pub(crate) fn add(&self, name: String, skip_lines: u64, outcome: Outcome) -> Value {
        let now = Instant::now();
        let mut files = self.files.write().unwrap_or_else(|e| e.into_inner());
        files.push(StoredFile {
            name,
            skip_lines,
            creation_date: format_utc(Utc::now(), 6),
            added: now,
            outcome,
        });
        self.json_of(files.len(), &files[files.len() - 1], now)
    }

    /// The state of file `id` now; `None` if there is no such file.
    pub(crate) fn state(&self, id: u64) -> Option<FileState> {
        let files = self.files.read().unwrap_or_else(|e| e.into_inner());
        let file = files.get(usize::try_from(id.checked_sub(1)?).ok()?)?;
        Some(self.state_of(file, Instant::now()))
    }

    /// The object of file `id` as `GET files/{id}/` serves it now.
    pub(crate) fn json(&self, id: u64) -> Option<Value> {
        let files = self.files.read().unwrap_or_else(|e| e.into_inner());
        let index = usize::try_from(id.checked_sub(1)?).ok()?;
        files
            .get(index)
            .map(|file| self.json_of(index + 1, file, Instant::now()))
    }

    /// Every file object as it reads now, by id.
    pub(crate) fn snapshot(&self) -> Vec<Value> {
        let now = Instant::now();
        let files = self.files.read().unwrap_or_else(|e| e.into_inner());
        files
            .iter()
            .enumerate()
            .map(|(i, file)| self.json_of(i + 1, file, now))
            .collect()
    }

    /// The state of `file` at `now`.
    fn state_of(&self, file: &StoredFile, now: Instant) -> FileState {
        if now.saturating_duration_since(file.added) < self.parse_for {
            return FileState::Parsing;
        }
        match &file.outcome {
            Outcome::Ready(table) => FileState::Ready(Arc::clone(table)),
            Outcome::Failed(_) => FileState::Error,
        }
    }

    /// The object of `file` (numbered `id`) at `now`.
    fn json_of(&self, id: usize, file: &StoredFile, now: Instant) -> Value {
        let state = self.state_of(file, now);
        let parsing_error = match (&state, &file.outcome) {
            (FileState::Error, Outcome::Failed(why)) => Some(why.as_str()),
            _ => None,
        };
        json!({
            "id": id,
            "name": file.name,
            "status": state.as_str(),
            "parsing_error": parsing_error,
            "skip_lines": file.skip_lines,
            "creation_date": file.creation_date,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_parse_for_a_while_then_show_their_outcome() {
        let files = Files::new(Duration::from_secs(3600));
        let first = files.add("a.csv".into(), 2, Outcome::Ready(Arc::default()));
        assert_eq!(first["id"], 1);
        assert_eq!(first["status"], "parsing");
        assert_eq!(first["parsing_error"], Value::Null);
        assert_eq!(first["skip_lines"], 2);
        assert!(first["creation_date"].as_str().unwrap().ends_with('Z'));
        files.add("b.csv".into(), 0, Outcome::Failed("bad".into()));
        assert_eq!(files.json(2).unwrap()["name"], "b.csv");
        assert!(files.json(0).is_none() && files.json(3).is_none());
        assert!(matches!(files.state(2), Some(FileState::Parsing)));

        let stored = files.files.read().unwrap();
        let later = stored[1].added + Duration::from_secs(3600);
        assert!(matches!(
            files.state_of(&stored[0], later),
            FileState::Ready(_)
        ));
        let failed = files.json_of(2, &stored[1], later);
        assert_eq!(failed["status"], "error");
        assert_eq!(failed["parsing_error"], "bad");
        drop(stored);
        assert_eq!(files.snapshot().len(), 2);
        let instant = Files::new(Duration::ZERO);
        instant.add("c.csv".into(), 0, Outcome::Failed("bad".into()));
        assert_eq!(instant.json(1).unwrap()["status"], "error");
    }
}
