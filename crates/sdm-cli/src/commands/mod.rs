//! The commands, one module each, and what they share: resolving the token and building the
//! client from the global options.

mod auth;
mod completions;
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
mod jobs_watch;
mod login;
mod mock;
mod projects;
mod watch_state;

use std::io::{self, Write};

use sdm_ureq::{
    BaseUrl, Client, ClientConfig, RateLimit, RetryPolicy, Timeouts, Token, UreqTransport,
};

use crate::cli::{
    AuthCommand, Cli, Command, FilesCommand, GlobalArgs, JobsCommand, ProjectsCommand,
};
use crate::error::CliError;
use crate::profile::{ProfileName, Store};

/// The `User-Agent` product token of this program, sent before the library's own.
const USER_AGENT_PRODUCT: &str = concat!("sdm-cli/", env!("CARGO_PKG_VERSION"));

/// Runs the parsed command, writing its data to `stdout`.
pub fn run(cli: Cli, stdout: &mut dyn Write) -> Result<(), CliError> {
    let global = cli.global;
    match cli.command {
        Command::Login(args) => login::run(&global, &args, stdout),
        Command::Auth(AuthCommand::Status) => auth::status(&global, stdout),
        Command::Auth(AuthCommand::Token) => auth::token(&global, stdout),
        Command::Logout => auth::logout(&global),
        Command::Jobs(JobsCommand::Get(args)) => jobs_get::run(&global, &args, stdout),
        Command::Jobs(JobsCommand::List(args)) => jobs_list::run(&global, &args, stdout),
        Command::Jobs(JobsCommand::Wait(args)) => jobs_wait::run(&global, &args, stdout),
        Command::Jobs(JobsCommand::Watch(args)) => jobs_watch::run(&global, &args, stdout),
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
        Command::Completions(args) => completions::run(&args, stdout),
        Command::ManPages(args) => completions::man_pages(&args, stdout),
        Command::Parse(args) => completions::parse_only(&args),
    }
}

/// The most bytes read from a token file or standard input for a secret. An API key is 36
/// characters; anything near this is the wrong file (or `/dev/zero`), and reading stops here.
pub(crate) const MAX_SECRET_BYTES: usize = 4096;

/// The token of a command, the base URL it goes to, and where it came from.
#[derive(Debug)]
pub(crate) struct Credential {
    /// The API token (`Debug` shows `[redacted]`).
    pub token: Token,
    /// The API the token is sent to: the global option's, or the profile's.
    pub base_url: BaseUrl,
    /// Where the token came from.
    pub source: TokenSource,
}

/// Where a command's token came from, in the order they are looked for.
#[derive(Debug)]
pub(crate) enum TokenSource {
    /// `--token-file PATH`.
    File(std::path::PathBuf),
    /// `--token` on the command line.
    Flag,
    /// The `SDM_TOKEN` variable.
    Env,
    /// A profile saved by `sdm login`, in the credentials file at `path`.
    Profile {
        name: ProfileName,
        path: std::path::PathBuf,
    },
}

impl std::fmt::Display for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::File(path) => write!(f, "the token file {}", path.display()),
            TokenSource::Flag => f.write_str("--token"),
            TokenSource::Env => f.write_str("SDM_TOKEN"),
            TokenSource::Profile { name, path } => {
                write!(f, "profile {name} in {}", path.display())
            }
        }
    }
}

/// The profile `--profile` or `SDM_PROFILE` names, else `default`.
fn profile_name(global: &GlobalArgs) -> ProfileName {
    global.profile.clone().unwrap_or_default()
}

/// The credentials file of this user, or why there is none.
fn store() -> Result<Store, CliError> {
    Store::locate().ok_or_else(|| {
        CliError::usage(
            "no config directory for saved logins: set XDG_CONFIG_HOME or HOME \
             (or pass --token, --token-file or SDM_TOKEN)",
        )
    })
}

/// The token and base URL of a command: `--token-file` or `--token`, then `SDM_TOKEN`, then
/// the profile (`--profile`, `SDM_PROFILE`, default `default`) saved by `sdm login`.
fn credential(global: &GlobalArgs) -> Result<Credential, CliError> {
    credential_in(global, Store::locate())
}

/// [`credential`], with the credentials file at `store` (`None`: no config directory).
///
/// A token given by option or variable goes to the global base URL. A profile's token goes
/// only to the base URL it was saved with: another one given by `--base-url` or
/// `SDM_BASE_URL` is refused, so the token never reaches an origin it does not belong to.
///
/// Every token is trimmed, and refused unless an HTTP header can carry it (visible ASCII: an
/// accent or a space is a local mistake, which would otherwise reach the network and be
/// retried as a lost connection). Its text is never part of an error.
fn credential_in(global: &GlobalArgs, store: Option<Store>) -> Result<Credential, CliError> {
    let given = match (&global.token_file, &global.token) {
        (Some(path), _) => {
            let text = read_token_file(path)?;
            if text.trim().is_empty() {
                return Err(CliError::usage(format!(
                    "the token file {} is empty",
                    path.display()
                )));
            }
            Some((text, TokenSource::File(path.clone())))
        }
        // An empty `SDM_TOKEN=` (or `--token ""`) is no token: the profile is looked for.
        (None, Some(token)) if !token.expose().trim().is_empty() => {
            let source = if global.given.token_on_command_line {
                TokenSource::Flag
            } else {
                TokenSource::Env
            };
            Some((token.expose().to_owned(), source))
        }
        (None, _) => None,
    };
    if let Some((text, source)) = given {
        return Ok(Credential {
            token: checked_token(&text, &source)?,
            base_url: global.base_url.clone(),
            source,
        });
    }
    profile_credential(global, store)
}

/// The credential saved under the selected profile.
fn profile_credential(global: &GlobalArgs, store: Option<Store>) -> Result<Credential, CliError> {
    const MISSING: &str = "no API token: pass --token or --token-file, set SDM_TOKEN, or log in \
                           with `sdm login`";
    let name = profile_name(global);
    let Some(store) = store else {
        return Err(CliError::usage(MISSING));
    };
    let profiles = store.load()?;
    let Some(profile) = profiles.get(&name) else {
        if global.profile.is_none() {
            return Err(CliError::usage(MISSING));
        }
        return Err(CliError::usage(format!(
            "no saved login named {name} in {}: log in with `sdm login --profile {name}`",
            store.path().display()
        )));
    };
    if global.given.base_url && global.base_url != profile.base_url {
        return Err(CliError::usage(format!(
            "the token of profile {name} belongs to {}, and is never sent to another API: \
             {} was given by --base-url or SDM_BASE_URL (log in there with `sdm login --profile \
             NAME`, or pass its token with --token-file or SDM_TOKEN)",
            profile.base_url, global.base_url
        )));
    }
    Ok(Credential {
        token: profile.token.clone(),
        base_url: profile.base_url.clone(),
        source: TokenSource::Profile {
            name,
            path: store.path().to_owned(),
        },
    })
}

/// `text` trimmed, as a token, unless no header can carry it; the error names `from` and
/// never the text.
fn checked_token(text: &str, from: &TokenSource) -> Result<Token, CliError> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_graphic()) {
        let from = match from {
            TokenSource::File(_) | TokenSource::Profile { .. } => format!("in {from}"),
            TokenSource::Flag | TokenSource::Env => format!("given by {from}"),
        };
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
    Ok(credential_client(global, credential(global)?, adjust))
}

/// The client for `credential`'s API and token, with `adjust` applied to its configuration.
fn credential_client(
    global: &GlobalArgs,
    credential: Credential,
    adjust: impl FnOnce(ClientConfig) -> ClientConfig,
) -> Client {
    // From here on, the token is masked in every text shown (a server may echo it).
    crate::sanitise::add_secret(credential.token.expose());
    let config = adjust(config(global, &credential.base_url).with_token(credential.token));
    Client::with_transport(config, transport(global))
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
            profile: None,
            given: crate::cli::Given::default(),
        }
    }

    /// The token `global` resolves to with no credentials file.
    fn token(global: &GlobalArgs) -> Result<Token, CliError> {
        credential_in(global, None).map(|credential| credential.token)
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
    fn options_then_the_variable_then_the_profile_with_its_own_base_url() {
        use crate::profile::{Profile, Profiles};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::in_config_dir(dir.path());
        let url = |text: &str| BaseUrl::parse(text).unwrap();
        let work = ProfileName::parse("work").unwrap();
        let mut profiles = Profiles::default();
        for (name, base_url, token) in [
            (
                ProfileName::default(),
                "https://saved.example/api/v1/",
                "saved-token",
            ),
            (work.clone(), "https://work.example/api/v1/", "work-token"),
        ] {
            let token = Token::new(token);
            let base_url = url(base_url);
            profiles.insert(name, Profile { base_url, token });
        }
        store.save(&profiles).unwrap();
        let resolve = |global: &GlobalArgs| credential_in(global, Some(store.clone()));

        let saved = resolve(&global(None, None)).unwrap();
        assert_eq!(saved.token.expose(), "saved-token");
        assert_eq!(saved.base_url, url("https://saved.example/api/v1/"));
        assert!(
            matches!(&saved.source, TokenSource::Profile { name, path }
                if *name == ProfileName::default() && path == store.path()),
            "{saved:?}"
        );

        let mut env = global(Some("env-token"), None);
        let found = resolve(&env).unwrap();
        assert_eq!(found.token.expose(), "env-token");
        assert!(matches!(found.source, TokenSource::Env), "{found:?}");
        assert_eq!(found.base_url, BaseUrl::default(), "not the profile's");
        env.given.token_on_command_line = true;
        assert!(matches!(resolve(&env).unwrap().source, TokenSource::Flag));
        let file = dir.path().join("token");
        std::fs::write(&file, "file-token\n").unwrap();
        let found = resolve(&global(Some("env-token"), Some(file.clone()))).unwrap();
        assert_eq!(found.token.expose(), "file-token");
        assert!(matches!(found.source, TokenSource::File(ref path) if *path == file));
        // An empty variable is no token: the profile answers.
        assert_eq!(
            resolve(&global(Some(" "), None)).unwrap().token.expose(),
            "saved-token"
        );

        let mut chosen = global(None, None);
        chosen.profile = Some(work.clone());
        let found = resolve(&chosen).unwrap();
        assert_eq!(found.token.expose(), "work-token");
        assert_eq!(found.base_url, url("https://work.example/api/v1"));
        // The same base URL given again (without its slash) is fine; another one is refused.
        chosen.given.base_url = true;
        chosen.base_url = url("https://work.example/api/v1");
        assert_eq!(resolve(&chosen).unwrap().token.expose(), "work-token");
        chosen.base_url = url("https://elsewhere.example/api/v1/");
        let message = usage_message(resolve(&chosen).map(|c| c.token));
        assert!(message.contains("never sent to another API"), "{message}");
        assert!(
            message.contains("https://work.example/api/v1/"),
            "{message}"
        );
        assert!(
            message.contains("https://elsewhere.example/api/v1/"),
            "{message}"
        );
        assert!(!message.contains("work-token"), "{message}");

        chosen.profile = Some(ProfileName::parse("missing").unwrap());
        let message = usage_message(resolve(&chosen).map(|c| c.token));
        assert!(
            message.contains("no saved login named missing")
                && message.contains("sdm login --profile missing"),
            "{message}"
        );
    }

    #[test]
    fn tokens_are_trimmed_and_required() {
        let found = token(&global(Some(" abc \n"), None)).unwrap();
        assert_eq!(found.expose(), "abc");
        for given in [None, Some(""), Some("  ")] {
            let error = token(&global(given, None)).unwrap_err();
            assert_eq!(
                error.to_string(),
                "no API token: pass --token or --token-file, set SDM_TOKEN, or log in with \
                 `sdm login`"
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
