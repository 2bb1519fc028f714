//! The command line as clap sees it: global options, commands, their arguments and help.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use sdm_mock::{Fault, FaultPlan};
use sdm_ureq::{
    BaseUrl, DEFAULT_BASE_URL, DEFAULT_MAX_ROW_BYTES, FileId, JobId, JobStatus, JobSummary,
    OutputFormatId, Project, ProjectId, Token,
};

use crate::columns::{self, Columns};
use crate::progress::ProgressMode;
use crate::{date, duration};

/// Command line for the Akeneo Supplier Data Manager (SDM) jobs API.
///
/// Data goes to standard output, errors and progress to standard error, so pipes stay clean.
#[derive(Debug, Parser)]
#[command(name = "sdm", version, propagate_version = true, max_term_width = 100)]
#[command(after_help = EXIT_CODES)]
pub struct Cli {
    /// Options every command accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// How long work shows its progress.
    #[command(flatten)]
    pub progress: ProgressArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the process arguments, exiting with clap's message and status 2 on a usage error.
    pub fn parse_args() -> Self {
        Self::try_parse_args(std::env::args_os()).unwrap_or_else(|error| error.exit())
    }

    /// Parses `args` (the program name first).
    ///
    /// `--token` and `--token-file` together are refused, but `SDM_TOKEN` in the environment
    /// gives way to `--token-file`: an explicit option beats an ambient variable. (clap's own
    /// `conflicts_with` would count the variable as given and refuse both.)
    pub fn try_parse_args<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let mut command = Self::command();
        // An empty `SDM_PROFILE=` is unset (as an empty `SDM_TOKEN` is no token), not a name.
        if std::env::var_os("SDM_PROFILE").is_some_and(|value| value.is_empty()) {
            command = command.mut_arg("profile", |arg| arg.env(None));
        }
        let matches = command.try_get_matches_from(args)?;
        let mut cli = Self::from_arg_matches(&matches)?;
        cli.progress.label = command_path(&matches);
        cli.global.given = Given {
            base_url: given_explicitly(&matches, "base_url"),
            token_on_command_line: token_given_on_command_line(&matches),
        };
        if cli.global.token_file.is_some() && cli.global.token.is_some() {
            if token_given_on_command_line(&matches) {
                return Err(Self::command().error(
                    clap::error::ErrorKind::ArgumentConflict,
                    "the argument '--token <TOKEN>' cannot be used with '--token-file <PATH>'",
                ));
            }
            cli.global.token = None;
        }
        Ok(cli)
    }
}

/// Whether `--token` came from the command line (rather than `SDM_TOKEN`), at any level: a
/// global option may follow the subcommand.
fn token_given_on_command_line(matches: &ArgMatches) -> bool {
    let mut level = Some(matches);
    while let Some(matches) = level {
        if matches.value_source("token") == Some(ValueSource::CommandLine) {
            return true;
        }
        level = matches.subcommand().map(|(_, sub)| sub);
    }
    false
}

/// Whether `id` was given on the command line or by its environment variable (not defaulted),
/// at any level.
fn given_explicitly(matches: &ArgMatches, id: &str) -> bool {
    let mut level = Some(matches);
    while let Some(matches) = level {
        if matches!(
            matches.value_source(id),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        ) {
            return true;
        }
        level = matches.subcommand().map(|(_, sub)| sub);
    }
    false
}

/// Which global options the user gave, rather than clap defaulting them (filled in by
/// [`Cli::try_parse_args`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct Given {
    /// `--base-url` or `SDM_BASE_URL` was given: a saved profile's token is not sent to
    /// another base URL than its own.
    pub base_url: bool,
    /// `--token` came from the command line, not `SDM_TOKEN`.
    pub token_on_command_line: bool,
}

const EXIT_CODES: &str = "\
Exit codes: 0 success, 1 other failure, 2 usage error, 3 authentication or permission refused,
4 not found, 5 the job (or a file's parsing) failed, 6 the job needs action in SDM, 7 timed out,
8 server unavailable or rate limited.";

/// The help section of the options every command accepts.
const GLOBAL: &str = "Global options";

/// Where the API is and how to authenticate.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Base URL of the SDM API (with or without the trailing slash).
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        env = "SDM_BASE_URL",
        value_name = "URL",
        default_value = DEFAULT_BASE_URL
    )]
    pub base_url: BaseUrl,

    /// API token (prefer `sdm login`, SDM_TOKEN or --token-file: arguments show in the process
    /// list). Comes before SDM_TOKEN and the saved profile.
    //
    // `hide_env_values` keeps the value out of `--help`; `allow_hyphen_values` keeps clap from
    // reading a token that starts with `-` as flags and quoting it back in an error.
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        env = "SDM_TOKEN",
        hide_env_values = true,
        allow_hyphen_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<Token>,

    /// Read the API token from this file (surrounding whitespace is ignored; wins over SDM_TOKEN).
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "PATH")]
    pub token_file: Option<PathBuf>,

    /// Requests per second this client sends at most (the API's fair-use rate is 10; 0 turns the
    /// limit off).
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        env = "SDM_RATE_LIMIT",
        value_name = "RPS",
        default_value_t = DEFAULT_RATE_LIMIT
    )]
    pub rate_limit: u32,

    /// Attempts per request in all, the first included: failures a retry can cure (429, 502,
    /// 503, 504, lost connections) are retried with backoff; 1 turns retries off.
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        env = "SDM_RETRIES",
        value_name = "N",
        default_value_t = DEFAULT_RETRIES,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub retries: u32,

    /// Allow a plain http:// base URL on a host other than loopback (the token then crosses
    /// the network unencrypted; without this such a URL is refused before any request).
    //
    // Boolish: SDM_ALLOW_HTTP=1, true, yes or on allows; 0, false, no or off does not.
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        env = "SDM_ALLOW_HTTP",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub allow_http: bool,

    /// Time allowed to connect (DNS, TCP and TLS), like `10s`.
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        env = "SDM_CONNECT_TIMEOUT",
        value_name = "D",
        default_value = "10s",
        value_parser = crate::duration::parse_positive
    )]
    pub connect_timeout: std::time::Duration,

    /// Time allowed without progress while receiving a response (its start, then each read of
    /// the body), like `60s`; a large export is not limited as long as data keeps coming.
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        env = "SDM_READ_TIMEOUT",
        value_name = "D",
        default_value = "60s",
        value_parser = crate::duration::parse_positive
    )]
    pub read_timeout: std::time::Duration,

    /// Send requests through this proxy (http://HOST:PORT or https://..., credentials as
    /// USER:PASSWORD@) instead of the one HTTPS_PROXY, HTTP_PROXY or ALL_PROXY names. Loopback
    /// hosts are always reached directly, and plain http goes through a proxy only with
    /// --allow-http.
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        env = "SDM_PROXY",
        hide_env_values = true,
        value_name = "URL",
        value_parser = parse_proxy
    )]
    pub proxy: Option<sdm_ureq::ureq::Proxy>,

    /// Connect directly: no proxy, whatever --proxy, SDM_PROXY or the proxy variables say.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub no_proxy: bool,

    /// The saved login to use when no token is given otherwise (see `sdm login`; default
    /// `default`).
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        env = "SDM_PROFILE",
        value_name = "NAME",
        value_parser = crate::profile::ProfileName::parse
    )]
    pub profile: Option<crate::profile::ProfileName>,

    /// Which of these options were given rather than defaulted.
    #[arg(skip)]
    pub given: Given,
}

/// `--proxy`: an http or https proxy (this build has no SOCKS support).
fn parse_proxy(text: &str) -> Result<sdm_ureq::ureq::Proxy, String> {
    use sdm_ureq::ureq::{Proxy, ProxyProtocol};
    let proxy =
        Proxy::new(text).map_err(|_| "not a proxy URL, like http://HOST:PORT".to_owned())?;
    match proxy.protocol() {
        ProxyProtocol::Http | ProxyProtocol::Https => Ok(proxy),
        _ => Err("only http:// and https:// proxies are supported".to_owned()),
    }
}

/// `--progress` and `--progress-interval`: how long work shows that it is alive.
#[derive(Debug, Args)]
pub struct ProgressArgs {
    /// How to show progress on standard error: `auto` draws a spinner on a terminal and nothing
    /// elsewhere, `bar` draws it even off a terminal, `plain` prints a line now and then and a
    /// summary at the end (for CI logs), `off` shows nothing.
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        env = "SDM_PROGRESS",
        value_enum,
        value_name = "MODE",
        default_value_t = ProgressMode::Auto
    )]
    pub progress: ProgressMode,

    /// With --progress plain: the least time between two lines, like `5s` or `1m`.
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        env = "SDM_PROGRESS_INTERVAL",
        value_name = "D",
        default_value = "5s",
        value_parser = crate::duration::parse_positive
    )]
    pub progress_interval: Duration,

    /// The subcommand's words (`jobs data`), which plain progress lines start with.
    #[arg(skip)]
    pub label: String,
}

/// The subcommand's words (`jobs data`).
fn command_path(matches: &ArgMatches) -> String {
    let mut words = Vec::new();
    let mut level = matches.subcommand();
    while let Some((name, sub)) = level {
        words.push(name);
        level = sub.subcommand();
    }
    words.join(" ")
}

/// `--rate-limit` unless given: the API's documented fair-use rate.
pub const DEFAULT_RATE_LIMIT: u32 = 10;
/// `--retries` unless given (the library's default policy).
pub const DEFAULT_RETRIES: u32 = 4;

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in: exchange an e-mail and password for an API token and save it, with the base URL,
    /// under a profile (--profile, default `default`) in the config directory.
    ///
    /// The password comes from SDM_PASSWORD, or from the first line of standard input with
    /// --password-stdin. The same token name always gives back the same token. --print prints
    /// the token on standard output instead of saving it; --with-token saves a token read from
    /// standard input (for organizations on SSO). Commands use the profile when no --token,
    /// --token-file or SDM_TOKEN is given.
    Login(LoginArgs),
    /// The saved login in use: whether its token works (`status`), or the token itself
    /// (`token`).
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Remove a saved login (--profile, default `default`) from the config directory.
    ///
    /// The token itself stays valid on the server: delete it in SDM to revoke it.
    Logout,
    /// Look at jobs, create them, and fetch their output.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Upload supplier files and follow their parsing.
    #[command(subcommand)]
    Files(FilesCommand),
    /// Look at the projects jobs are created on, and their steps.
    #[command(subcommand)]
    Projects(ProjectsCommand),
    /// Upload a file, wait for it to be parsed, create a job, wait for it, and optionally fetch
    /// its rows (--data) or its file (--download): the whole import under one --timeout.
    ///
    /// Exits 0 when the job is done, 5 when parsing or the job failed (no job is created when
    /// parsing fails), 6 when the job needs action in SDM, 7 when --timeout passed first.
    Import(ImportArgs),
    /// Serve the embedded fake SDM API in the foreground (for trying the CLI and for tests).
    Mock(MockArgs),
    /// Start the embedded fake API and walk through login, list, get, wait, data and an import
    /// against it.
    Demo,
    /// Print a shell completion script on standard output (bash, zsh, fish, powershell or
    /// elvish), to load in the shell or install where it looks for completions.
    ///
    /// For example: `sdm completions bash > ~/.local/share/bash-completion/completions/sdm`.
    Completions(CompletionsArgs),
    /// Write a man page for every command into DIR (what `cargo xtask man` runs).
    #[command(name = "__man", hide = true)]
    ManPages(ManPagesArgs),
    /// Parse the words after it as an `sdm` command line, without running it: exits 0, or 2
    /// with clap's message (the documentation's tests check every command shown this way).
    #[command(name = "__parse", hide = true)]
    Parse(ParseArgs),
}

/// `sdm login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The SDM user's e-mail address.
    #[arg(
        long,
        value_name = "EMAIL",
        required_unless_present = "with_token",
        conflicts_with = "with_token"
    )]
    pub email: Option<String>,
    /// Name of the token to create or fetch.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "sdm-cli",
        conflicts_with = "with_token"
    )]
    pub token_name: String,
    /// Read the password from the first line of standard input instead of SDM_PASSWORD.
    #[arg(long, conflicts_with = "with_token")]
    pub password_stdin: bool,
    /// Print the token on standard output instead of saving it (for `export SDM_TOKEN=$(...)`).
    #[arg(long, conflicts_with = "with_token")]
    pub print: bool,
    /// Save an existing token, read from the first line of standard input, instead of logging
    /// in with an e-mail and password; it is checked with one request first.
    #[arg(long)]
    pub with_token: bool,
}

/// `sdm auth ...`.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Show the profile, base URL and token source in use, and check the token with one
    /// request (never printing it); exits 3 when the API refuses it.
    Status,
    /// Print the token in use on standard output (for `$(sdm auth token)`).
    Token,
}

/// `sdm completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// `sdm __man` (hidden).
#[derive(Debug, Args)]
pub struct ManPagesArgs {
    /// The directory to write `sdm.1`, `sdm-jobs.1`, `sdm-jobs-list.1`... into (created if
    /// missing).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// `sdm __parse` (hidden).
#[derive(Debug, Args)]
pub struct ParseArgs {
    /// The command line to check, without the program name.
    #[arg(
        value_name = "ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub args: Vec<std::ffi::OsString>,
}

/// `sdm jobs ...`.
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Show one job.
    Get(JobsGetArgs),
    /// List jobs, newest first: one page, or every page with --all.
    List(JobsListArgs),
    /// Wait until a job (or several) stops running, then show it.
    ///
    /// Exits 0 when the job is done, 5 when it failed, 6 when it needs action in SDM (pending),
    /// 7 when --timeout passed first. With several jobs, one --timeout bounds them all, each is
    /// shown as it ends, and the exit code is the worst outcome: 5 over 6 over 7 over 0.
    Wait(JobsWaitArgs),
    /// Follow the organization's jobs, newest first: a table redrawn in place on a terminal,
    /// one line (or NDJSON object) per change otherwise.
    ///
    /// One walk of the filtered listing per --interval, however many jobs there are. With
    /// --until-idle, exits once no matching job is running: 0, or 5 if a job ended in error
    /// meanwhile. Ctrl-C stops it (the shell sees status 130).
    Watch(JobsWatchArgs),
    /// Fetch the output rows of a done job, streamed.
    Data(JobsDataArgs),
    /// Create a job from a parsed file on a project; prints the new job's id.
    Create(JobsCreateArgs),
    /// Download a done job's output file (CSV or Excel), streamed.
    ///
    /// With --out the file appears only once complete; with --out-dir it is named as the
    /// server says, reduced to one safe file name (never `name (1).csv` over an existing file:
    /// a free `name (1).csv`, `name (2).csv`... is picked), and its path is printed. Without
    /// either it goes to standard output, unless that is a terminal.
    Download(JobsDownloadArgs),
}

/// `sdm jobs create`.
#[derive(Debug, Args)]
pub struct JobsCreateArgs {
    /// The uploaded file's id (see `sdm files upload`); it must be parsed (`ready`).
    #[arg(long = "file", value_name = "FILE_ID")]
    pub file_id: FileId,
    /// The project to create the job on (its integer id; see `sdm projects list`).
    #[arg(long, value_name = "PROJECT_ID")]
    pub project: ProjectId,
    /// The job's name.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// The `model_version` sent with the job (undocumented; the API's example sends 0).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub model_version: u64,
    /// Output format; `table` prints the job id alone, `json` the server's object.
    #[arg(short, long, value_enum, value_name = "FORMAT", default_value_t = ShortFormat::Table)]
    pub output: ShortFormat,
}

/// `sdm jobs download`.
#[derive(Debug, Args)]
pub struct JobsDownloadArgs {
    /// The job id (a UUID).
    #[arg(value_name = "JOB_ID")]
    pub job_id: JobId,
    /// The output format id configured in SDM (an integer).
    #[arg(value_name = "OUTPUT_FORMAT_ID")]
    pub output_format_id: OutputFormatId,
    /// Write to this file (replaced only once the download is complete).
    #[arg(long, value_name = "FILE", conflicts_with = "out_dir")]
    pub out: Option<PathBuf>,
    /// Write into this directory under the server's file name made safe; prints the path.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// `sdm files ...`.
#[derive(Debug, Subcommand)]
pub enum FilesCommand {
    /// Upload a supplier file (CSV, XLSX or XML, or JSON rows with --rows); prints its id.
    ///
    /// With --wait, waits for the parsing: exits 0 when the file is ready, 5 when parsing
    /// failed (the reason on standard error), 7 when --timeout passed first.
    Upload(FilesUploadArgs),
    /// Show an uploaded file and where its parsing stands.
    Get(FilesGetArgs),
}

/// `sdm files upload`.
#[derive(Debug, Args)]
pub struct FilesUploadArgs {
    /// The file to upload (with --rows, `-` reads the rows from standard input).
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Lines to skip before the header line.
    #[arg(long, value_name = "N", conflicts_with = "rows")]
    pub skip_lines: Option<u64>,
    /// PATH holds rows as NDJSON or a JSON array of objects, sent as JSON rather than a file.
    #[arg(long)]
    pub rows: bool,
    /// Wait until the file is parsed.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: give up after this long, the upload and the wait together (90s, 5m, 500ms
    /// or seconds; default: forever).
    #[arg(long, value_name = "DURATION", value_parser = duration::parse, requires = "wait")]
    pub timeout: Option<Duration>,
    /// With --wait: the first pause between polls (default 2s; pauses grow up to 30s).
    #[arg(
        long,
        value_name = "DURATION",
        value_parser = duration::parse_positive,
        requires = "wait"
    )]
    pub interval: Option<Duration>,
    /// Output format; `table` prints the file id alone, `json` the server's object.
    #[arg(short, long, value_enum, value_name = "FORMAT", default_value_t = ShortFormat::Table)]
    pub output: ShortFormat,
}

/// `sdm files get`.
#[derive(Debug, Args)]
pub struct FilesGetArgs {
    /// The file id (an integer).
    #[arg(value_name = "FILE_ID")]
    pub file_id: FileId,
    /// Output format; `json` prints the object exactly as the server sent it.
    #[arg(short, long, value_enum, value_name = "FORMAT", default_value_t = ShortFormat::Table)]
    pub output: ShortFormat,
}

/// `sdm projects ...`.
#[derive(Debug, Subcommand)]
pub enum ProjectsCommand {
    /// List projects: one page, or every page with --all.
    List(ProjectsListArgs),
    /// Show one project and its steps, in order.
    Get(ProjectsGetArgs),
}

/// `sdm projects list`.
#[derive(Debug, Args)]
pub struct ProjectsListArgs {
    /// The page to show, from 1.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub page: Option<u64>,
    /// Projects per page (the server's default is 25, or 100 with --all).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub page_size: Option<u64>,
    /// Every page, not just one.
    #[arg(long, conflicts_with = "page")]
    pub all: bool,
    /// With --all: stop after this many projects.
    #[arg(long, value_name = "N", requires = "all")]
    pub limit: Option<u64>,
    /// Output format; `json` is an array of the server's objects, `ndjson` one per line.
    #[arg(short, long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// With -o table or csv: the columns, in order, like `id,name` (of id, name, steps).
    #[arg(long, value_name = "COLUMNS", value_parser = columns::project_columns)]
    pub columns: Option<Columns<Project>>,
}

/// `sdm projects get`.
#[derive(Debug, Args)]
pub struct ProjectsGetArgs {
    /// The project id (an integer).
    #[arg(value_name = "PROJECT_ID")]
    pub project_id: ProjectId,
    /// Output format; `json` prints the object exactly as the server sent it.
    #[arg(short, long, value_enum, value_name = "FORMAT", default_value_t = ShortFormat::Table)]
    pub output: ShortFormat,
}

/// `sdm import`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["path", "rows"])))]
pub struct ImportArgs {
    /// The supplier file to upload (CSV, XLSX or XML).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Upload rows instead: NDJSON or a JSON array of objects, from FILE (`-`: standard input).
    #[arg(long, value_name = "FILE", conflicts_with = "skip_lines")]
    pub rows: Option<PathBuf>,
    /// The project to create the job on (its integer id).
    #[arg(long, value_name = "PROJECT_ID")]
    pub project: ProjectId,
    /// The job's name (default: the file's name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Lines to skip before the header line.
    #[arg(long, value_name = "N")]
    pub skip_lines: Option<u64>,
    /// The `model_version` sent with the job (undocumented; the API's example sends 0).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub model_version: u64,
    /// Give up after this long, for the whole import (uploads, waits and retries included).
    #[arg(long, value_name = "DURATION", value_parser = duration::parse)]
    pub timeout: Option<Duration>,
    /// Poll the file and then the job this often (default: after 2s, then pauses growing by
    /// half up to 30s).
    #[arg(long, value_name = "DURATION", value_parser = duration::parse_positive)]
    pub interval: Option<Duration>,
    /// Then fetch the job's output rows in this output format (an integer id).
    #[arg(long, value_name = "OUTPUT_FORMAT_ID", conflicts_with = "download")]
    pub data: Option<OutputFormatId>,
    /// Then download the job's output file in this output format (an integer id).
    #[arg(long, value_name = "OUTPUT_FORMAT_ID")]
    pub download: Option<OutputFormatId>,
    /// With --data or --download: write to this file (it appears only once complete).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Output format: of the rows with --data (ndjson by default, json, csv); otherwise
    /// `table` prints the job id alone and `json` the final job object.
    #[arg(short, long, value_enum, value_name = "FORMAT")]
    pub output: Option<OutputFormat>,
    /// With --data: the largest row accepted, in bytes.
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = DEFAULT_MAX_ROW_BYTES,
        value_parser = parse_row_bytes
    )]
    pub max_row_bytes: usize,
}

/// `sdm jobs get`.
#[derive(Debug, Args)]
pub struct JobsGetArgs {
    /// The job id (a UUID).
    #[arg(value_name = "JOB_ID")]
    pub job_id: JobId,
    /// Output format; `json` prints the object exactly as the server sent it.
    #[arg(short, long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

/// `sdm jobs list`.
#[derive(Debug, Args)]
pub struct JobsListArgs {
    /// Only jobs with this status (running, done, error, pending, or any newer value).
    #[arg(long, value_name = "STATUS", value_parser = parse_status)]
    pub status: Option<JobStatus>,
    /// Only jobs of this project (its integer id).
    #[arg(long, value_name = "PROJECT_ID")]
    pub project: Option<ProjectId>,
    /// Only jobs created at or after this time (RFC 3339, YYYY-MM-DD for midnight UTC, or a
    /// duration back from now like 2h, 3d or 1w).
    #[arg(long, value_name = "TIME", value_parser = date::parse_time_arg)]
    pub created_after: Option<DateTime<Utc>>,
    /// Only jobs created before this time (RFC 3339, YYYY-MM-DD for midnight UTC, or a
    /// duration back from now like 2h, 3d or 1w).
    #[arg(long, value_name = "TIME", value_parser = date::parse_time_arg)]
    pub created_before: Option<DateTime<Utc>>,
    /// The page to show, from 1.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub page: Option<u64>,
    /// Jobs per page (the server's default is 25, or 100 with --all; it caps large values).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub page_size: Option<u64>,
    /// Every page, not just one: jobs are printed as they arrive (tables once all are in).
    #[arg(long, conflicts_with = "page")]
    pub all: bool,
    /// With --all: stop after this many jobs.
    #[arg(long, value_name = "N", requires = "all")]
    pub limit: Option<u64>,
    /// With --all: pages fetched at once (default 10; 1 follows the server's `next` links).
    #[arg(
        long,
        value_name = "N",
        requires = "all",
        value_parser = clap::value_parser!(u64).range(1..=MAX_CONCURRENCY)
    )]
    pub concurrency: Option<u64>,
    /// Output format; `json` is an array of the server's job objects, `ndjson` one per line.
    #[arg(short, long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// With -o table or csv: the columns, in order, like `id,status,name` (of id, status, name,
    /// project, created, completed, step, message, file).
    #[arg(long, value_name = "COLUMNS", value_parser = columns::job_columns)]
    pub columns: Option<Columns<JobSummary>>,
}

/// The most pages `--concurrency` fetches at once.
const MAX_CONCURRENCY: u64 = 32;

/// `sdm jobs wait`.
#[derive(Debug, Args)]
pub struct JobsWaitArgs {
    /// The job ids (UUIDs): one, or several to wait for together.
    #[arg(value_name = "JOB_ID", required = true, num_args = 1..)]
    pub job_ids: Vec<JobId>,
    /// Give up after this long, for all the jobs together (90s, 5m, 1h30m, 500ms or seconds;
    /// default: wait forever).
    #[arg(long, value_name = "DURATION", value_parser = duration::parse)]
    pub timeout: Option<Duration>,
    /// Pause after the first poll; pauses then grow by half each time, up to 30 s (default 2s).
    #[arg(long, value_name = "DURATION", value_parser = duration::parse_positive)]
    pub interval: Option<Duration>,
    /// How to print the job at the end; `json` prints the object exactly as the server sent it.
    #[arg(short, long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

/// `sdm jobs watch`.
#[derive(Debug, Args)]
pub struct JobsWatchArgs {
    /// Only jobs with this status (repeatable: any of them; running, done, error, pending, or
    /// any newer value). Each status is one walk of the listing filtered by the server.
    #[arg(long, value_name = "STATUS", value_parser = parse_status)]
    pub status: Vec<JobStatus>,
    /// Only jobs of this project (its integer id).
    #[arg(long, value_name = "PROJECT_ID")]
    pub project: Option<ProjectId>,
    /// Only jobs created at or after this time (RFC 3339, or YYYY-MM-DD for midnight UTC).
    #[arg(long, value_name = "TIME", value_parser = date::parse_time_arg)]
    pub created_after: Option<DateTime<Utc>>,
    /// Time from the start of one walk of the listing to the next (at least 1s).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "5s",
        value_parser = parse_watch_interval
    )]
    pub interval: Duration,
    /// Exit once no matching job is running: 0, or 5 if one ended in error meanwhile.
    #[arg(long)]
    pub until_idle: bool,
    /// `table`: redrawn in place on a terminal (changed rows marked `*`), one text line per
    /// change elsewhere; `ndjson`: one JSON event per line.
    #[arg(short, long, value_enum, value_name = "FORMAT", default_value_t = WatchFormat::Table)]
    pub output: WatchFormat,
    /// With -o table: the columns of the table and of each text line, in order, like
    /// `id,status,name` (of id, status, name, project, created, completed, step, message, file).
    #[arg(long, value_name = "COLUMNS", value_parser = columns::job_columns)]
    pub columns: Option<Columns<JobSummary>>,
}

/// The shortest `jobs watch --interval`: a walk a second stays within the fair-use rate.
pub const MIN_WATCH_INTERVAL: Duration = Duration::from_secs(1);

/// `--interval` of `jobs watch`: a duration of at least [`MIN_WATCH_INTERVAL`].
fn parse_watch_interval(text: &str) -> Result<Duration, String> {
    let interval = duration::parse_positive(text)?;
    if interval < MIN_WATCH_INTERVAL {
        return Err("the interval must be at least 1s".to_owned());
    }
    Ok(interval)
}

/// How `jobs watch` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum WatchFormat {
    /// A table redrawn in place on a terminal; one line per change otherwise.
    Table,
    /// One JSON event per line: `{"event", "at", "job", ...}`.
    Ndjson,
}

/// `sdm jobs data`.
#[derive(Debug, Args)]
pub struct JobsDataArgs {
    /// The job id (a UUID).
    #[arg(value_name = "JOB_ID")]
    pub job_id: JobId,
    /// The output format id configured in SDM (an integer).
    #[arg(value_name = "OUTPUT_FORMAT_ID")]
    pub output_format_id: OutputFormatId,
    /// Output format of the rows.
    #[arg(short, long, value_enum, value_name = "FORMAT", default_value_t = DataFormat::Ndjson)]
    pub output: DataFormat,
    /// Write to this file instead of standard output (replaced only once all rows are written).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The largest row accepted, in bytes (the output as a whole has no limit).
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = DEFAULT_MAX_ROW_BYTES,
        value_parser = parse_row_bytes
    )]
    pub max_row_bytes: usize,
    /// With -o csv: the most columns accepted (every record has every column, so rows that
    /// each bring new ones make rows × columns cells).
    #[arg(
        long,
        value_name = "N",
        default_value_t = crate::csv_spool::DEFAULT_MAX_COLUMNS,
        value_parser = parse_columns
    )]
    pub max_columns: usize,
}

/// `sdm mock`.
#[derive(Debug, Args)]
pub struct MockArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// How many jobs the fake organization has.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Seed of the generated jobs and rows (the same seed gives the same world).
    #[arg(long, value_name = "SEED")]
    pub seed: Option<u64>,
    /// Delay added before every response, in milliseconds.
    #[arg(long, value_name = "MS")]
    pub latency_ms: Option<u64>,
    /// The largest page size the server honours.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_page_size: Option<u64>,
    /// Enforce a fair-use limit of this many requests per second (answered with 429).
    #[arg(long, value_name = "RPS", value_parser = clap::value_parser!(u32).range(1..))]
    pub fair_use: Option<u32>,
    /// Add a done job with this many output rows (its id is printed as `big job:`).
    #[arg(long, value_name = "N")]
    pub big_job_rows: Option<u64>,
    /// Add a job that runs this long, then is done (seconds, or 90s, 5m...; its id is printed
    /// as `slow job:`).
    #[arg(long, value_name = "SECS", value_parser = duration::parse)]
    pub slow_job: Option<Duration>,
    /// How long an uploaded file reads as `parsing` before it is ready or failed, in
    /// milliseconds (default 500).
    #[arg(long, value_name = "MS")]
    pub parse_ms: Option<u64>,
    /// How long a job created with `POST jobs/` reads as `running` before it ends, in
    /// milliseconds (default 2000).
    #[arg(long, value_name = "MS")]
    pub created_job_run_ms: Option<u64>,
    /// Misbehave on purpose (repeatable), e.g. `503@detail`, `429x3`, `drop-mid-body@data`.
    #[arg(
        long = "fault",
        value_name = "SPEC",
        value_parser = parse_fault,
        long_help = fault_help()
    )]
    pub faults: Vec<FaultPlan>,
}

/// A `--fault` spec, in the grammar of [`sdm_mock::Fault::parse`].
fn parse_fault(text: &str) -> Result<FaultPlan, String> {
    text.parse()
}

/// The long help of `sdm mock --fault`: the grammar and every fault name.
fn fault_help() -> String {
    format!(
        "Misbehave on purpose, for trying how a client copes (repeatable: for each request the \
         first spec whose route matches and whose count is not used up applies).

SPEC     = FAULT[@ROUTE][xCOUNT]
ROUTE    = any | token | detail | list | data   (default: any)
         | upload | file | create | download | projects | project
COUNT    = serve the fault to the first COUNT requests only (default: all of them)
FAULT    = latency[=DURATION]            wait, then answer (default 200ms)
         | slow-drip[=BYTES[/DURATION]]  send the body in pieces (default 1024/20ms)
         | 429[=SECONDS]                 429 with Retry-After (default 1)
         | 429-no-retry-after            429 without Retry-After
         | STATUS[-json|-html|-empty]    a 5xx status (500..=599; default body: json)
         | drop-before | drop-after | drop-mid-body | truncated
         | malformed | count-string | status-number | results-missing | empty-ok
         | huge-row[=BYTES]              one output row of BYTES (default 20000000)
         | redirect | foreign-next
DURATION = 300ms | 2s | 5m | 1h30m | 250us | ... | a number of seconds

Faults: {}.

Examples: --fault 503@detail, --fault 502-html@listx2, --fault latency=300ms, \
         --fault huge-row=2000000@data, --fault drop-after@create (the job is created, the \
         answer lost)",
        Fault::names().join(", ")
    )
}

/// How `jobs get`, `jobs list` and `jobs wait` print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for people.
    Table,
    /// The server's JSON, pretty-printed.
    Json,
    /// One compact JSON object per line.
    Ndjson,
    /// RFC 4180 CSV with a header line.
    Csv,
}

/// How commands that show one object print it (`files`, `jobs create`, `projects get`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ShortFormat {
    /// For people (an id alone where the command creates something, for `$(...)`).
    Table,
    /// The server's JSON, pretty-printed.
    Json,
}

/// How `jobs data` prints rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DataFormat {
    /// One compact JSON object per line.
    Ndjson,
    /// One JSON array.
    Json,
    /// RFC 4180 CSV; the header is every column met, in first-seen order.
    Csv,
}

/// A row size limit: a positive number of bytes.
fn parse_row_bytes(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("the limit must be at least 1 byte".to_owned()),
        Ok(bytes) => Ok(bytes),
        Err(e) => Err(format!("expected a number of bytes ({e})")),
    }
}

/// A column limit: a positive number.
fn parse_columns(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("the limit must be at least 1 column".to_owned()),
        Ok(columns) => Ok(columns),
        Err(e) => Err(format!("expected a number of columns ({e})")),
    }
}

/// Any non-empty status: unknown values go to the server as typed, for forward compatibility.
fn parse_status(text: &str) -> Result<JobStatus, String> {
    if text.trim().is_empty() {
        return Err("the status must not be empty (running, done, error or pending)".to_owned());
    }
    Ok(JobStatus::from_api(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    const ID: &str = "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b";

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("sdm").chain(args.iter().copied()))
    }

    #[test]
    fn data_output_is_ndjson_by_default() {
        let cli = parse(&["jobs", "data", ID, "1"]).unwrap();
        let Command::Jobs(JobsCommand::Data(args)) = cli.command else {
            panic!("parsed as {:?}", cli.command)
        };
        assert_eq!(args.output, DataFormat::Ndjson);
        assert_eq!(args.max_row_bytes, DEFAULT_MAX_ROW_BYTES);
        let cli = parse(&[
            "jobs",
            "data",
            ID,
            "1",
            "-o",
            "csv",
            "--max-row-bytes",
            "100",
        ])
        .unwrap();
        let Command::Jobs(JobsCommand::Data(args)) = cli.command else {
            panic!("parsed as {:?}", cli.command)
        };
        assert_eq!((args.output, args.max_row_bytes), (DataFormat::Csv, 100));
        assert!(parse(&["jobs", "data", ID, "1", "--max-row-bytes", "0"]).is_err());
    }

    #[test]
    fn global_limits_have_defaults() {
        let cli = parse(&["jobs", "get", ID]).unwrap();
        assert_eq!((cli.global.rate_limit, cli.global.retries), (10, 4));
        let cli = parse(&["jobs", "get", ID, "--rate-limit", "0", "--retries", "1"]).unwrap();
        assert_eq!((cli.global.rate_limit, cli.global.retries), (0, 1));
        assert!(parse(&["--retries", "0", "jobs", "get", ID]).is_err());
        assert!(parse(&["--rate-limit", "-1", "jobs", "get", ID]).is_err());
    }

    #[test]
    fn list_all_options_need_all() {
        let cli = parse(&[
            "jobs",
            "list",
            "--all",
            "--limit",
            "5",
            "--concurrency",
            "2",
        ])
        .unwrap();
        let Command::Jobs(JobsCommand::List(args)) = cli.command else {
            panic!("parsed as {:?}", cli.command)
        };
        assert!(args.all);
        assert_eq!((args.limit, args.concurrency), (Some(5), Some(2)));
        for args in [
            &["jobs", "list", "--limit", "5"][..],
            &["jobs", "list", "--concurrency", "2"],
            &["jobs", "list", "--all", "--page", "2"],
            &["jobs", "list", "--all", "--concurrency", "0"],
        ] {
            assert_eq!(parse(args).unwrap_err().exit_code(), 2, "{args:?}");
        }
    }

    #[test]
    fn wait_durations() {
        let cli = parse(&[
            "jobs",
            "wait",
            ID,
            "--timeout",
            "1h30m",
            "--interval",
            "500ms",
        ])
        .unwrap();
        let Command::Jobs(JobsCommand::Wait(args)) = cli.command else {
            panic!("parsed as {:?}", cli.command)
        };
        assert_eq!(args.timeout, Some(Duration::from_secs(5400)));
        assert_eq!(args.interval, Some(Duration::from_millis(500)));
        for bad in [
            &["jobs", "wait", ID, "--timeout", "soon"][..],
            &["jobs", "wait", ID, "--interval", "0"],
        ] {
            assert_eq!(parse(bad).unwrap_err().exit_code(), 2, "{bad:?}");
        }
    }

    #[test]
    fn mock_faults_are_fault_plans() {
        let cli = parse(&[
            "mock",
            "--fault",
            "503@detail",
            "--fault",
            "latency=10ms@listx2",
        ])
        .unwrap();
        let Command::Mock(args) = cli.command else {
            panic!("parsed as {:?}", cli.command)
        };
        let specs: Vec<String> = args.faults.iter().map(ToString::to_string).collect();
        assert_eq!(specs, ["503@detail", "latency=10ms@listx2"]);
        for bad in ["nope", "503@jobs", "latency=fast", ""] {
            let error = parse(&["mock", "--fault", bad]).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{bad:?}");
        }
        let help = Cli::command()
            .find_subcommand_mut("mock")
            .unwrap()
            .render_long_help()
            .to_string();
        for name in Fault::names() {
            assert!(help.contains(name), "{name} is in the help:\n{help}");
        }
        assert!(help.contains("FAULT[@ROUTE][xCOUNT]"), "{help}");
    }

    #[test]
    fn allow_http_is_off_unless_asked() {
        assert!(!parse(&["jobs", "list"]).unwrap().global.allow_http);
        assert!(
            parse(&["jobs", "list", "--allow-http"])
                .unwrap()
                .global
                .allow_http
        );
    }

    #[test]
    fn bad_ids_are_usage_errors() {
        for args in [
            ["sdm", "jobs", "get", "../etc"].as_slice(),
            &[
                "sdm",
                "jobs",
                "data",
                "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b",
                "-1",
            ],
            &["sdm", "jobs", "list", "--page", "0"],
            &["sdm", "jobs", "list", "--created-after", "yesterday"],
        ] {
            let error = Cli::try_parse_from(args).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{args:?}");
        }
    }
}
