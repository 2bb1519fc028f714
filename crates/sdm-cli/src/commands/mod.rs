//! The commands, one module each, and what they share: resolving the token and building the
//! client from the global options.

mod deadline;
mod demo;
mod files;
mod import;
mod jobs_create;
mod jobs_data;
mod jobs_download;
pub(crate) mod jobs_get;
mod jobs_list;
mod jobs_wait;
mod login;
mod mock;
mod projects;

use std::io::{self, Write};

use sdm_ureq::{
    BaseUrl, Client, ClientConfig, RateLimit, RetryPolicy, Timeouts, Token, UreqTransport,
};

use crate::cli::{Cli, Command, FilesCommand, GlobalArgs, JobsCommand, ProjectsCommand};
use crate::error::CliError;

/// The `User-Agent` product token of this program, sent before the library's own.
const USER_AGENT_PRODUCT: &str = concat!("sdm-cli/", env!("CARGO_PKG_VERSION"));

/// Runs the parsed command, writing its data to `stdout`.
pub fn run(cli: Cli, stdout: &mut dyn Write) -> Result<(), CliError> {
    let global = cli.global;
    match cli.command {
        Command::Login(args) => login::run(&global, &args, stdout),
        Command::Jobs(JobsCommand::Get(args)) => jobs_get::run(&global, &args, stdout),
        Command::Jobs(JobsCommand::List(args)) => jobs_list::run(&global, &args, stdout),
        Command::Jobs(JobsCommand::Wait(args)) => jobs_wait::run(&global, &args, stdout),
        Command::Jobs(JobsCommand::Data(args)) => jobs_data::run(&global, &args, stdout),
        Command::Jobs(JobsCommand::Create(args)) => jobs_create::run(&global, &args, stdout),
        Command::Jobs(JobsCommand::Download(args)) => jobs_download::run(&global, &args, stdout),
        Command::Files(FilesCommand::Upload(args)) => files::upload(&global, &args, stdout),
        Command::Files(FilesCommand::Get(args)) => files::get(&global, &args, stdout),
        Command::Projects(ProjectsCommand::List(args)) => projects::list(&global, &args, stdout),
        Command::Projects(ProjectsCommand::Get(args)) => projects::get(&global, &args, stdout),
        Command::Import(args) => import::run(&global, &args, stdout),
        Command::Mock(args) => mock::run(&args, stdout),
        Command::Demo => demo::run(&global, stdout),
    }
}

/// The most bytes read from a token file or standard input for a secret. An API key is 36
/// characters; anything near this is the wrong file (or `/dev/zero`), and reading stops here.
pub(crate) const MAX_SECRET_BYTES: usize = 4096;

/// The API token from `--token`, `SDM_TOKEN` or `--token-file`, trimmed, and refused unless an
/// HTTP header can carry it (visible ASCII: an accent or a space is a local mistake, which
/// would otherwise reach the network and be retried as a lost connection).
fn token(global: &GlobalArgs) -> Result<Token, CliError> {
    const MISSING: &str = "no API token: pass --token, --token-file or set SDM_TOKEN";
    let (text, from) = match (&global.token_file, &global.token) {
        (Some(path), _) => {
            let text = read_token_file(path)?;
            if text.trim().is_empty() {
                return Err(CliError::usage(format!(
                    "the token file {} is empty",
                    path.display()
                )));
            }
            (text, format!("in the token file {}", path.display()))
        }
        (None, Some(token)) if !token.expose().trim().is_empty() => (
            token.expose().to_owned(),
            "given by --token or SDM_TOKEN".to_owned(),
        ),
        (None, _) => return Err(CliError::usage(MISSING)),
    };
    let text = text.trim();
    if !text.bytes().all(|b| b.is_ascii_graphic()) {
        // The token itself is not shown: it is a secret, even when mistyped.
        return Err(CliError::usage(format!(
            "the API token {from} is not one: it has characters other than visible ASCII \
             (spaces, accents or control characters), which no request can carry"
        )));
    }
    Ok(Token::new(text))
}

/// The text of a token file, which must be a regular file of at most [`MAX_SECRET_BYTES`]:
/// a FIFO or a device (`/dev/zero`) could block or never end.
fn read_token_file(path: &std::path::Path) -> Result<String, CliError> {
    use std::io::Read;
    let unreadable = |source| CliError::Usage {
        message: format!("could not read the token file {}", path.display()),
        source: Some(source),
    };
    let not_regular = || {
        CliError::usage(format!(
            "the token file {} is not a regular file",
            path.display()
        ))
    };
    // Checked before opening, since opening a FIFO waits for a writer; and again on the open
    // file, in case the path changed in between.
    if !std::fs::metadata(path).map_err(unreadable)?.is_file() {
        return Err(not_regular());
    }
    let file = std::fs::File::open(path).map_err(unreadable)?;
    if !file.metadata().map_err(unreadable)?.is_file() {
        return Err(not_regular());
    }
    let mut bytes = Vec::new();
    file.take(MAX_SECRET_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() > MAX_SECRET_BYTES {
        return Err(CliError::usage(format!(
            "the token file {} is larger than {MAX_SECRET_BYTES} bytes: an API token is one \
             short line",
            path.display()
        )));
    }
    String::from_utf8(bytes).map_err(|_| {
        CliError::usage(format!(
            "the token file {} is not UTF-8 text",
            path.display()
        ))
    })
}

/// A client configuration for `base_url`, with this program's user agent, the rate limit and
/// retries of the global options, and no token.
fn config(global: &GlobalArgs, base_url: &BaseUrl) -> ClientConfig {
    let mut retries = RetryPolicy::default();
    retries.max_attempts = global.retries.max(1);
    let rate_limit = (global.rate_limit > 0).then(|| RateLimit::per_second(global.rate_limit));
    ClientConfig::from_base_url(base_url.clone())
        .with_user_agent_prefix(USER_AGENT_PRODUCT)
        .with_rate_limit(rate_limit)
        .with_retry_policy(retries)
        .with_allow_http(global.allow_http)
}

/// The client for commands that need a token.
fn client(global: &GlobalArgs) -> Result<Client, CliError> {
    client_with(global, |config| config)
}

/// The client for commands that need a token, with `adjust` applied to its configuration.
fn client_with(
    global: &GlobalArgs,
    adjust: impl FnOnce(ClientConfig) -> ClientConfig,
) -> Result<Client, CliError> {
    let token = token(global)?;
    // From here on, the token is masked in every text shown (a server may echo it).
    crate::sanitise::add_secret(token.expose());
    let config = adjust(config(global, &global.base_url).with_token(token));
    Ok(Client::with_transport(config, transport(global)))
}

/// A client without a token for the API at `base_url` (for `login`, and the demo's server).
fn anonymous_client(global: &GlobalArgs, base_url: &BaseUrl) -> Client {
    Client::with_transport(config(global, base_url), transport(global))
}

/// The HTTP transport, with the timeouts of the global options. (A deadline, under
/// `--timeout`, is the client's: each request carries the time left to the transport.)
fn transport(global: &GlobalArgs) -> UreqTransport {
    let timeouts = Timeouts::DEFAULT
        .connect(global.connect_timeout)
        .read(global.read_timeout);
    // Without either option, the proxy of the environment (see sdm-ureq's "Proxies").
    let builder = UreqTransport::builder().timeouts(timeouts);
    match (&global.proxy, global.no_proxy) {
        (_, true) => builder.no_proxy(),
        (Some(proxy), false) => builder.proxy(proxy.clone()),
        (None, false) => builder,
    }
    .build()
}

/// Maps write errors on standard output to [`CliError::Stdout`].
fn stdout_error(error: io::Error) -> CliError {
    CliError::Stdout(error)
}

/// Best-effort notes on standard error (footers, hints): losing one is no reason to fail.
/// Made printable, whatever they quote.
fn note(message: std::fmt::Arguments<'_>) {
    let text = message.to_string();
    let _ = writeln!(io::stderr(), "{}", crate::sanitise::printable_whole(&text));
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// Global options as clap would give them, without reading the environment.
    fn global(token: Option<&str>, token_file: Option<PathBuf>) -> GlobalArgs {
        GlobalArgs {
            base_url: BaseUrl::default(),
            token: token.map(Token::new),
            token_file,
            rate_limit: crate::cli::DEFAULT_RATE_LIMIT,
            retries: crate::cli::DEFAULT_RETRIES,
            allow_http: false,
            connect_timeout: std::time::Duration::from_secs(10),
            read_timeout: std::time::Duration::from_secs(60),
            proxy: None,
            no_proxy: false,
        }
    }

    #[test]
    fn rate_limit_and_retries_reach_the_configuration() {
        let mut options = global(Some("t"), None);
        let defaults = config(&options, &options.base_url);
        assert_eq!(defaults.rate_limit(), Some(RateLimit::FAIR_USE));
        assert_eq!(defaults.retry_policy(), &RetryPolicy::default());

        options.rate_limit = 0;
        options.retries = 1;
        let off = config(&options, &options.base_url);
        assert_eq!(off.rate_limit(), None);
        assert_eq!(off.retry_policy().max_attempts, 1);

        options.rate_limit = 3;
        let slow = config(&options, &options.base_url);
        assert_eq!(slow.rate_limit(), Some(RateLimit::per_second(3)));
    }

    #[test]
    fn tokens_are_trimmed_and_required() {
        let found = token(&global(Some(" abc \n"), None)).unwrap();
        assert_eq!(found.expose(), "abc");
        for given in [None, Some(""), Some("  ")] {
            let error = token(&global(given, None)).unwrap_err();
            assert_eq!(
                error.to_string(),
                "no API token: pass --token, --token-file or set SDM_TOKEN"
            );
        }
    }

    fn usage_message(result: Result<Token, CliError>) -> String {
        match result {
            Err(error @ CliError::Usage { .. }) => error.to_string(),
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn tokens_no_header_can_carry_are_usage_errors() {
        for bad in ["jetón", "two words", "nul\0x"] {
            let message = usage_message(token(&global(Some(bad), None)));
            assert!(message.contains("visible ASCII"), "{message}");
            assert!(!message.contains(bad), "the token is not shown: {message}");
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "caf\u{e9}-token\n").unwrap();
        let message = usage_message(token(&global(None, Some(path))));
        assert!(message.contains("visible ASCII"), "{message}");
    }

    #[test]
    fn token_files_are_read_within_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        let file = std::fs::File::create(&big).unwrap();
        // Sparse: 256 MiB on paper, nothing on disk; only the first bytes are ever read.
        file.set_len(256 << 20).unwrap();
        let message = usage_message(token(&global(None, Some(big))));
        assert!(message.contains("larger than 4096 bytes"), "{message}");

        let message = usage_message(token(&global(None, Some(dir.path().to_owned()))));
        assert!(message.contains("not a regular file"), "{message}");
        #[cfg(unix)]
        {
            let message = usage_message(token(&global(None, Some("/dev/zero".into()))));
            assert!(message.contains("not a regular file"), "{message}");
            // A FIFO with no writer would block whoever opens it: it is refused unopened.
            let fifo = dir.path().join("fifo");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            if made.is_ok_and(|status| status.success()) {
                let message = usage_message(token(&global(None, Some(fifo))));
                assert!(message.contains("not a regular file"), "{message}");
            }
        }
        let invalid = dir.path().join("latin1");
        std::fs::write(&invalid, b"caf\xe9").unwrap();
        let message = usage_message(token(&global(None, Some(invalid))));
        assert!(message.contains("not UTF-8"), "{message}");
    }

    #[test]
    fn token_files_are_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "  0b5e1c5e-aaaa-4bbb-8ccc-123456789abc\n").unwrap();
        let found = token(&global(None, Some(path.clone()))).unwrap();
        assert_eq!(found.expose(), "0b5e1c5e-aaaa-4bbb-8ccc-123456789abc");

        std::fs::write(&path, "\n \n").unwrap();
        let error = token(&global(None, Some(path.clone()))).unwrap_err();
        assert!(error.to_string().contains("is empty"), "{error}");

        let missing = dir.path().join("missing");
        let error = token(&global(None, Some(missing))).unwrap_err();
        assert!(
            matches!(
                error,
                CliError::Usage {
                    source: Some(_),
                    ..
                }
            ),
            "{error:?}"
        );
    }
}
