//! `sdm login`: exchange an e-mail and password for an API token (or take an existing token
//! from standard input) and save it under a profile; or print it, with `--print`.

use std::io::{self, BufRead, Read, Write};

use sdm_ureq::{BaseUrl, JobQuery, Password, Token};

use super::{anonymous_client, note, profile_name, stdout_error, store};
use crate::cli::{GlobalArgs, LoginArgs};
use crate::error::CliError;
use crate::profile::{Profile, ProfileName, Profiles, Store};

/// The environment variable the password is read from unless `--password-stdin` is given.
const PASSWORD_ENV: &str = "SDM_PASSWORD";

/// Saves the token (a confirmation on standard error, never the token), or with `--print`
/// prints it alone on one line: the one place besides `sdm auth token` the CLI shows a token,
/// since it was asked.
pub fn run(global: &GlobalArgs, args: &LoginArgs, stdout: &mut dyn Write) -> Result<(), CliError> {
    let base_url = &global.base_url;
    // The credentials file is read first: one that cannot be used (others may read it) is
    // refused before anything is asked of the server.
    let saving = if args.print {
        None
    } else {
        Some(Saving::open(global)?)
    };
    if args.with_token {
        let token = token_from(&mut io::stdin().lock())?;
        // Checked before it is saved: a mistyped token would only fail on the next command.
        anonymous_client(global, base_url)
            .with_token(token.clone())
            .list_jobs(&JobQuery::new().page_size(1))?;
        let saved = saving
            .map(|saving| saving.save(base_url, token))
            .transpose()?;
        note(format_args!(
            "the token works on {base_url}; {}",
            saved.unwrap_or_default()
        ));
        return Ok(());
    }
    let email = args.email.as_deref().unwrap_or_default().trim();
    if email.is_empty() {
        return Err(CliError::usage("the e-mail address is empty"));
    }
    let password = if args.password_stdin {
        password_from(&mut io::stdin().lock())?
    } else {
        password_from_env()?
    };
    // Masked in every text shown from here on (a refusal may echo it).
    crate::sanitise::add_secret(password.expose());
    let client = anonymous_client(global, base_url);
    // Refused credentials come back as `Error::Authentication`, which exits as any refusal.
    let token = client.login(email, &password, &args.token_name)?;
    if !token.expose().bytes().all(|b| b.is_ascii_graphic()) || token.expose().is_empty() {
        return Err(CliError::io(
            "the server's token is not one: it has characters no request can carry",
            io::Error::from(io::ErrorKind::InvalidData),
        ));
    }
    let Some(saving) = saving else {
        return writeln!(stdout, "{}", token.expose()).map_err(stdout_error);
    };
    let saved = saving.save(base_url, token)?;
    note(format_args!("logged in to {base_url} as {email}; {saved}"));
    Ok(())
}

/// The credentials file, read, and the profile a login saves into.
struct Saving {
    name: ProfileName,
    store: Store,
    profiles: Profiles,
}

impl Saving {
    /// Reads the credentials file (none yet is fine) for the selected profile.
    fn open(global: &GlobalArgs) -> Result<Self, CliError> {
        let store = store()?;
        let profiles = store.load()?;
        Ok(Saving {
            name: profile_name(global),
            store,
            profiles,
        })
    }

    /// Saves `token` for `base_url` under the profile; says where, for the confirmation.
    fn save(mut self, base_url: &BaseUrl, token: Token) -> Result<String, CliError> {
        let profile = Profile {
            base_url: base_url.clone(),
            token,
        };
        self.profiles.insert(self.name.clone(), profile);
        self.store.save(&self.profiles)?;
        Ok(format!(
            "the token is saved as profile {} in {}",
            self.name,
            self.store.path().display()
        ))
    }
}

/// An existing token for `--with-token`: the first line of `input`, trimmed, within the bound
/// of a secret, and visible ASCII (the error never shows it).
fn token_from(input: &mut dyn BufRead) -> Result<Token, CliError> {
    let line = first_line(input, "token", "--with-token")?;
    let token = line.trim();
    if token.is_empty() {
        return Err(CliError::usage(
            "no token on standard input (--with-token reads its first line)",
        ));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(CliError::usage(
            "the token on standard input is not one: it has characters other than visible \
             ASCII (spaces, accents or control characters), which no request can carry",
        ));
    }
    Ok(Token::new(token))
}

/// The password for `--password-stdin`: the first line of `input`, kept as it is.
fn password_from(input: &mut dyn BufRead) -> Result<Password, CliError> {
    let password = first_line(input, "password", "--password-stdin")?;
    if password.is_empty() {
        return Err(CliError::usage(
            "no password on standard input (--password-stdin reads its first line)",
        ));
    }
    Ok(Password::new(password))
}

/// The first line of `input`, without its line ending, read up to
/// [`MAX_SECRET_BYTES`](super::MAX_SECRET_BYTES): `< /dev/zero` or a wrong file is refused
/// without being read to its end. `what` names the secret and `option` the option reading it.
fn first_line(input: &mut dyn BufRead, what: &str, option: &str) -> Result<String, CliError> {
    let limit = super::MAX_SECRET_BYTES;
    let mut line = Vec::new();
    // One byte more than a line may hold (with its `\r\n`), to tell "too long" from "just fits".
    input
        .take(limit as u64 + 3)
        .read_until(b'\n', &mut line)
        .map_err(|e| CliError::io(format!("could not read the {what} from standard input"), e))?;
    let ended = line.last() == Some(&b'\n');
    let text = line.strip_suffix(b"\n").unwrap_or(&line);
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    if text.len() > limit || (!ended && line.len() > limit) {
        return Err(CliError::usage(format!(
            "the {what} on standard input is longer than {limit} bytes \
             ({option} reads its first line)"
        )));
    }
    match std::str::from_utf8(text) {
        Ok(text) => Ok(text.to_owned()),
        Err(_) => Err(CliError::usage(format!(
            "the {what} on standard input is not UTF-8 text"
        ))),
    }
}

fn password_from_env() -> Result<Password, CliError> {
    match std::env::var(PASSWORD_ENV) {
        Ok(password) if !password.is_empty() => Ok(Password::new(password)),
        Ok(_) | Err(std::env::VarError::NotPresent) => Err(CliError::usage(format!(
            "no password: set {PASSWORD_ENV} or pass --password-stdin"
        ))),
        Err(std::env::VarError::NotUnicode(_)) => Err(CliError::usage(format!(
            "{PASSWORD_ENV} is not valid UTF-8"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use sdm_core::http::Response;
    use sdm_core::ops::{CreateToken, Operation};

    use super::*;

    fn read(input: &str) -> Result<Password, CliError> {
        password_from(&mut input.as_bytes())
    }

    #[test]
    fn the_password_is_the_first_line() {
        assert_eq!(read("s3cret\n").unwrap().expose(), "s3cret");
        assert_eq!(read("s3cret\r\nignored\n").unwrap().expose(), "s3cret");
        assert_eq!(read("no newline").unwrap().expose(), "no newline");
        assert_eq!(read(" spaces kept \n").unwrap().expose(), " spaces kept ");
        assert!(matches!(read(""), Err(CliError::Usage { .. })));
        assert!(matches!(read("\n"), Err(CliError::Usage { .. })));
    }

    #[test]
    fn endless_or_odd_input_is_a_usage_error_read_within_bounds() {
        // `< /dev/zero`: no line end ever comes.
        let mut zeros = io::BufReader::new(io::repeat(0));
        let error = password_from(&mut zeros).unwrap_err();
        assert!(matches!(error, CliError::Usage { .. }), "{error:?}");
        assert!(error.to_string().contains("4096 bytes"), "{error}");
        let long = "x".repeat(5000) + "\n";
        assert!(matches!(read(&long), Err(CliError::Usage { .. })));
        let exactly = "y".repeat(4096) + "\n";
        assert_eq!(read(&exactly).unwrap().expose().len(), 4096);
        let error = password_from(&mut &b"caf\xe9\n"[..]).unwrap_err();
        assert!(matches!(error, CliError::Usage { .. }), "{error:?}");
        assert!(error.to_string().contains("UTF-8"), "{error}");
    }

    #[test]
    fn with_token_reads_one_bounded_visible_line() {
        let read = |input: &str| token_from(&mut input.as_bytes());
        assert_eq!(read("  abc-123 \r\nmore\n").unwrap().expose(), "abc-123");
        for bad in ["", "\n", "   \n"] {
            let error = read(bad).unwrap_err();
            assert!(error.to_string().contains("no token"), "{error}");
        }
        for bad in ["two words\n", "jet\u{f3}n\n"] {
            let error = read(bad).unwrap_err().to_string();
            assert!(error.contains("visible ASCII"), "{error}");
            assert!(!error.contains(bad.trim()), "{error}");
        }
        let mut zeros = io::BufReader::new(io::repeat(b'a'));
        let error = token_from(&mut zeros).unwrap_err().to_string();
        assert!(error.contains("longer than 4096 bytes"), "{error}");
        assert!(error.contains("--with-token"), "{error}");
    }

    fn login_error(body: &str) -> CliError {
        let op = CreateToken::new("a@example.com", Password::new("x"), "sdm-cli");
        let response = Response::builder()
            .status(400)
            .body(body.as_bytes().to_vec())
            .unwrap();
        CliError::Api(op.parse(&response).unwrap_err())
    }

    #[test]
    fn bad_credentials_are_told_apart_from_bad_fields() {
        let refused =
            login_error(r#"{"non_field_errors": ["Unable to log in with provided credentials."]}"#);
        assert_eq!(
            crate::exit::exit_code(&refused),
            crate::exit::REFUSED,
            "{refused:?}"
        );
        let fields = login_error(r#"{"email": ["This field may not be blank."]}"#);
        assert!(matches!(fields, CliError::Api(_)), "{fields:?}");
    }
}
