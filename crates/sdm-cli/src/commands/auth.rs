//! `sdm auth status`, `sdm auth token` and `sdm logout`: the saved login in use, its token,
//! and removing it.

use std::io::Write;

use sdm_ureq::{Error, JobQuery};

use super::{TokenSource, credential, credential_client, note, profile_name, stdout_error, store};
use crate::cli::GlobalArgs;
use crate::error::CliError;
use crate::output::write_key_values;

/// Prints the profile, base URL and token source in use, then checks the token with one cheap
/// authenticated request (one job). Exits 3 when the API refuses it. Never prints the token.
pub fn status(global: &GlobalArgs, stdout: &mut dyn Write) -> Result<(), CliError> {
    let credential = credential(global)?;
    let name = profile_name(global);
    let profile = match &credential.source {
        TokenSource::Profile { .. } => name.to_string(),
        other => format!("{name} (not used: the token comes from {other})"),
    };
    let base_url = credential.base_url.to_string();
    let source = credential.source.to_string();
    let from_profile = matches!(credential.source, TokenSource::Profile { .. });
    let client = credential_client(global, credential, |config| config);
    let checked = client.list_jobs(&JobQuery::new().page_size(1));
    let verdict = match &checked {
        Ok(_) => "works (the API accepted it)",
        Err(error) if refused(error) => "refused by the API",
        Err(_) => "not checked (no answer from the API)",
    };
    let pairs = [
        ("profile", profile),
        ("base URL", base_url),
        ("token from", source),
        ("token", verdict.to_owned()),
    ];
    write_key_values(stdout, &pairs).map_err(stdout_error)?;
    match checked {
        Ok(_) => Ok(()),
        Err(error) => {
            if refused(&error) && from_profile {
                // Flushed first, so the hint follows the lines above on a terminal.
                stdout.flush().map_err(stdout_error)?;
                note(format_args!(
                    "the saved token no longer works: log in again with `sdm login --profile \
                     {name}`"
                ));
            }
            Err(error.into())
        }
    }
}

/// Whether the API refused the token or its permissions (exit 3).
fn refused(error: &Error) -> bool {
    matches!(
        error.underlying(),
        Error::Authentication(_) | Error::Permission(_)
    )
}

/// Prints the token in use, from wherever it comes, alone on one line.
pub fn token(global: &GlobalArgs, stdout: &mut dyn Write) -> Result<(), CliError> {
    let credential = credential(global)?;
    writeln!(stdout, "{}", credential.token.expose()).map_err(stdout_error)
}

/// Removes the selected profile (and the file with its last one). Logging out of a profile
/// that is not saved changes nothing and says so: the state asked for already holds.
pub fn logout(global: &GlobalArgs) -> Result<(), CliError> {
    let name = profile_name(global);
    let store = store()?;
    let mut profiles = store.load()?;
    let path = store.path().display();
    if !profiles.remove(&name) {
        note(format_args!("not logged in: no profile {name} in {path}"));
        return Ok(());
    }
    store.save(&profiles)?;
    note(format_args!(
        "removed profile {name} from {path} (the token stays valid on the server until it is \
         deleted in SDM)"
    ));
    Ok(())
}
