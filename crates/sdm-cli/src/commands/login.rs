//! `sdm login`: exchange an e-mail and password for an API token and print it.

use std::io::{self, BufRead, Read, Write};

use sdm_ureq::Password;

use super::{anonymous_client, stdout_error};
use crate::cli::{GlobalArgs, LoginArgs};
use crate::error::CliError;

/// The environment variable the password is read from unless `--password-stdin` is given.
const PASSWORD_ENV: &str = "SDM_PASSWORD";

/// Prints the token alone on one line: the one place the CLI shows a token, since it was asked.
pub fn run(global: &GlobalArgs, args: &LoginArgs, stdout: &mut dyn Write) -> Result<(), CliError> {
    let email = args.email.trim();
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
    let client = anonymous_client(global, &global.base_url);
    // Refused credentials come back as `Error::Authentication`, which exits as any refusal.
    let token = client.login(email, &password, &args.token_name)?;
    writeln!(stdout, "{}", token.expose()).map_err(stdout_error)
}

/// The first line of `input`, without its line ending, read up to
/// [`MAX_SECRET_BYTES`](super::MAX_SECRET_BYTES): `< /dev/zero` or a wrong file is refused
/// without being read to its end.
fn password_from(input: &mut dyn BufRead) -> Result<Password, CliError> {
    let limit = super::MAX_SECRET_BYTES;
    let mut line = Vec::new();
    // One byte more than a line may hold (with its `\r\n`), to tell "too long" from "just fits".
    input
        .take(limit as u64 + 3)
        .read_until(b'\n', &mut line)
        .map_err(|e| CliError::io("could not read the password from standard input", e))?;
    let ended = line.last() == Some(&b'\n');
    let password = line.strip_suffix(b"\n").unwrap_or(&line);
    let password = password.strip_suffix(b"\r").unwrap_or(password);
    if password.len() > limit || (!ended && line.len() > limit) {
        return Err(CliError::usage(format!(
            "the password on standard input is longer than {limit} bytes \
             (--password-stdin reads its first line)"
        )));
    }
    let Ok(password) = std::str::from_utf8(password) else {
        return Err(CliError::usage(
            "the password on standard input is not UTF-8 text",
        ));
    };
    if password.is_empty() {
        return Err(CliError::usage(
            "no password on standard input (--password-stdin reads its first line)",
        ));
    }
    Ok(Password::new(password))
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
