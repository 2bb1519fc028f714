//! Saved logins end to end, against the fake server: `sdm login` saves a profile, commands
//! select it, options and `SDM_TOKEN` come first, a file others can read is refused,
//! `auth status` tells a revoked token (exit 3), `logout` removes it; and the token is never
//! printed by `status` or in any error.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Run, run, run_expect, run_with_stdin, sdm, shows_part_of};
use sdm_mock::MockServer;
use serde_json::Value;

/// A home of its own for each test: the config directory is `XDG_CONFIG_HOME`.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    fn credentials(&self) -> PathBuf {
        self.config().join("sdm").join("credentials.json")
    }

    /// `sdm ARGS` with this home's config directory.
    fn sdm(&self, args: &[&str]) -> Command {
        let mut command = sdm(args);
        command
            .env("XDG_CONFIG_HOME", self.config())
            .env("HOME", self.dir.path().join("home"));
        command
    }

    /// `sdm [--profile NAME] login` against `server`, with the password on standard input.
    fn login(&self, server: &MockServer, profile: Option<&str>) -> Run {
        let mut command = self.sdm(&["--base-url", server.base_url(), "login"]);
        command.args(["--email", server.email(), "--password-stdin"]);
        if let Some(name) = profile {
            command.args(["--profile", name]);
        }
        let run = run_with_stdin(&mut command, Some(&format!("{}\n", server.password())));
        assert_eq!(run.code, 0, "{run:#?}");
        run
    }

    /// The credentials file as JSON.
    fn saved(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.credentials()).unwrap()).unwrap()
    }

    /// The token saved under `profile`.
    fn token(&self, profile: &str) -> String {
        self.saved()["profiles"][profile]["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Neither output of `run` shows any part of `token`.
fn assert_hidden(token: &str, run: &Run) {
    assert!(
        !shows_part_of(token, &run.stdout) && !shows_part_of(token, &run.stderr),
        "the token shows: {run:#?}"
    );
}

#[test]
fn login_saves_a_private_profile_that_commands_then_use() {
    let server = MockServer::start();
    let home = Home::new();
    let login = home.login(&server, None);
    assert_eq!(login.stdout, "", "nothing on stdout without --print");
    assert!(
        login.stderr.contains("profile default")
            && login
                .stderr
                .contains(&home.credentials().display().to_string()),
        "{login:#?}"
    );
    let saved = home.saved();
    assert_eq!(saved["profiles"]["default"]["base_url"], server.base_url());
    let token = home.token("default");
    assert_hidden(&token, &login);
    #[cfg(unix)]
    {
        assert_eq!(mode(&home.credentials()), 0o600);
        assert_eq!(mode(home.credentials().parent().unwrap()), 0o700);
    }

    // The same login printed instead: the same token, and the file left as it was.
    let before = std::fs::read(home.credentials()).unwrap();
    let mut command = home.sdm(&["--base-url", server.base_url(), "login", "--print"]);
    command.args(["--email", server.email()]);
    command.env("SDM_PASSWORD", server.password());
    let printed = run_expect(&mut command, 0);
    assert_eq!(printed.stdout, format!("{token}\n"));
    assert_eq!(std::fs::read(home.credentials()).unwrap(), before);

    // No token and no --base-url: the profile's token goes to the profile's base URL.
    let requests = server.request_count();
    let listed = run_expect(&mut home.sdm(&["jobs", "list", "-o", "ndjson"]), 0);
    assert_eq!(listed.stdout.lines().count(), 25, "{listed:#?}");
    assert!(server.request_count() > requests);
    // `auth token` prints it, for `$(sdm auth token)`.
    let printed = run_expect(&mut home.sdm(&["auth", "token"]), 0);
    assert_eq!(printed.stdout, format!("{token}\n"));
}

#[test]
fn login_print_saves_nothing() {
    let server = MockServer::start();
    let home = Home::new();
    let mut command = home.sdm(&["--base-url", server.base_url(), "login", "--print"]);
    command.args(["--email", server.email(), "--password-stdin"]);
    let run = run_with_stdin(&mut command, Some(&format!("{}\n", server.password())));
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(run.stdout.trim().len(), 36, "{run:#?}");
    assert!(!home.config().exists(), "nothing written");
}

#[test]
fn profiles_are_selected_by_option_or_variable() {
    let (first, second) = (MockServer::start(), MockServer::start());
    let home = Home::new();
    home.login(&first, None);
    home.login(&second, Some("work"));
    let saved = home.saved();
    assert_eq!(saved["profiles"]["default"]["base_url"], first.base_url());
    assert_eq!(saved["profiles"]["work"]["base_url"], second.base_url());

    // Which server a command reached tells which profile it used.
    let reached = |command: &mut Command| {
        let counts = (first.request_count(), second.request_count());
        run_expect(command, 0);
        (
            first.request_count() > counts.0,
            second.request_count() > counts.1,
        )
    };
    assert_eq!(reached(&mut home.sdm(&["jobs", "list"])), (true, false));
    assert_eq!(
        reached(&mut home.sdm(&["jobs", "list", "--profile", "work"])),
        (false, true)
    );
    assert_eq!(
        reached(home.sdm(&["jobs", "list"]).env("SDM_PROFILE", "work")),
        (false, true)
    );
    // An empty variable is unset.
    assert_eq!(
        reached(home.sdm(&["jobs", "list"]).env("SDM_PROFILE", "")),
        (true, false)
    );
    // The option wins over the variable.
    let mut command = home.sdm(&["--profile", "default", "jobs", "list"]);
    assert_eq!(reached(command.env("SDM_PROFILE", "work")), (true, false));

    let status = run_expect(&mut home.sdm(&["auth", "status", "--profile", "work"]), 0);
    let lines: Vec<&str> = status.stdout.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["profile", "work"]
    );
    assert!(lines[1].ends_with(second.base_url()), "{status:#?}");
    assert!(status.stdout.contains("works"), "{status:#?}");

    let missing = run_expect(&mut home.sdm(&["--profile", "nope", "jobs", "list"]), 2);
    assert!(
        missing.stderr.contains("no saved login named nope")
            && missing.stderr.contains("sdm login --profile nope"),
        "{missing:#?}"
    );
    for bad in ["../x", ".hidden", "a/b"] {
        let run = run_expect(&mut home.sdm(&["--profile", bad, "jobs", "list"]), 2);
        assert!(run.stderr.contains("profile name"), "{run:#?}");
    }
}

#[test]
fn options_then_sdm_token_then_the_profile() {
    let server = MockServer::start();
    let home = Home::new();
    home.login(&server, None);
    let saved = home.token("default");
    let bad = "ffffffff-ffff-4fff-8fff-ffffffffffff";
    let base = ["--base-url", server.base_url()];
    let token_file = home.dir.path().join("token");
    std::fs::write(&token_file, format!("{bad}\n")).unwrap();
    let good_file = home.dir.path().join("good");
    std::fs::write(&good_file, server.token()).unwrap();

    // Each of these gives a bad token ahead of the good profile: refused, so it came first.
    let mut flag = home.sdm(&[&base[..], &["jobs", "list", "--token", bad]].concat());
    // A token from an option or SDM_TOKEN goes to --base-url (or the default), never the
    // profile's: the profile's base URL is its token's.
    let file_arg = token_file.to_str().unwrap();
    let mut file = home.sdm(&[&base[..], &["jobs", "list", "--token-file", file_arg]].concat());
    let mut env = home.sdm(&[&base[..], &["jobs", "list"]].concat());
    env.env("SDM_TOKEN", bad);
    for command in [&mut flag, &mut file, &mut env] {
        let run = run_expect(command, 3);
        assert_hidden(bad, &run);
        assert_hidden(&saved, &run);
    }
    // The options come before the variable.
    let good = ["jobs", "list", "--token", server.token()];
    let mut command = home.sdm(&[&base[..], &good].concat());
    run_expect(command.env("SDM_TOKEN", bad), 0);
    let good = ["jobs", "list", "--token-file", good_file.to_str().unwrap()];
    let mut command = home.sdm(&[&base[..], &good].concat());
    run_expect(command.env("SDM_TOKEN", bad), 0);

    // `auth status` names the source in use.
    let source = |command: &mut Command, code: i32| {
        let run = run_expect(command, code);
        assert_hidden(bad, &run);
        assert_hidden(&saved, &run);
        let line = run
            .stdout
            .lines()
            .find(|line| line.starts_with("token from"))
            .unwrap_or_else(|| panic!("{run:#?}"))
            .to_owned();
        line["token from".len()..].trim().to_owned()
    };
    let mut command = home.sdm(&[&base[..], &["auth", "status"]].concat());
    assert_eq!(source(command.env("SDM_TOKEN", bad), 3), "SDM_TOKEN");
    let mut command = home.sdm(&[&base[..], &["auth", "status", "--token", bad]].concat());
    assert_eq!(source(&mut command, 3), "--token");
    let mut command =
        home.sdm(&[&base[..], &["auth", "status", "--token-file", file_arg]].concat());
    assert_eq!(
        source(&mut command, 3),
        format!("the token file {}", token_file.display())
    );
    assert_eq!(
        source(&mut home.sdm(&["auth", "status"]), 0),
        format!("profile default in {}", home.credentials().display())
    );
}

#[test]
fn a_profile_token_never_goes_to_another_base_url() {
    let (home_server, other) = (MockServer::start(), MockServer::start());
    let home = Home::new();
    home.login(&home_server, None);
    let token = home.token("default");
    let before = other.request_count();
    let mut by_option = home.sdm(&["--base-url", other.base_url(), "jobs", "list"]);
    let mut by_variable = home.sdm(&["jobs", "list"]);
    by_variable.env("SDM_BASE_URL", other.base_url());
    for command in [&mut by_option, &mut by_variable] {
        let run = run_expect(command, 2);
        assert!(
            run.stderr.contains("never sent to another API")
                && run.stderr.contains(home_server.base_url())
                && run.stderr.contains(other.base_url()),
            "{run:#?}"
        );
        assert_hidden(&token, &run);
    }
    assert_eq!(
        other.request_count(),
        before,
        "no request reached the other API"
    );
    // The profile's own base URL, given again without its slash, is fine.
    let own = home_server.base_url().trim_end_matches('/');
    run_expect(&mut home.sdm(&["--base-url", own, "jobs", "list"]), 0);
}

#[cfg(unix)]
#[test]
fn a_credentials_file_others_can_read_is_refused_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let server = MockServer::start();
    let home = Home::new();
    home.login(&server, None);
    let token = home.token("default");
    let path = home.credentials();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let requests = server.request_count();
    for args in [
        &["jobs", "list"][..],
        &["auth", "status"],
        &["auth", "token"],
        &["logout"],
    ] {
        let run = run_expect(&mut home.sdm(args), 2);
        assert!(
            run.stderr
                .contains(&format!("run `chmod 600 {}`", path.display()))
                && run.stderr.contains("0644"),
            "{args:?}: {run:#?}"
        );
        assert_eq!(run.stdout, "", "{args:?}");
        assert_hidden(&token, &run);
    }
    // Logging in again does not paper over it either.
    let mut command = home.sdm(&["--base-url", server.base_url(), "login", "--with-token"]);
    let run = run_with_stdin(&mut command, Some(server.token()));
    assert_eq!(run.code, 2, "{run:#?}");
    assert_eq!(
        server.request_count(),
        requests,
        "refused before any request"
    );
    assert_eq!(mode(&path), 0o644, "left for the user to fix");

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    run_expect(&mut home.sdm(&["jobs", "list"]), 0);
}

#[test]
fn status_tells_a_revoked_token_without_showing_it() {
    let server = MockServer::start();
    let home = Home::new();
    home.login(&server, None);
    let token = home.token("default");
    let fine = run_expect(&mut home.sdm(&["auth", "status"]), 0);
    assert!(fine.stdout.contains("works"), "{fine:#?}");
    assert_eq!(fine.stderr, "");
    assert_hidden(&token, &fine);

    assert!(server.revoke_token(&token));
    let refused = run_expect(&mut home.sdm(&["auth", "status"]), 3);
    let lines: Vec<&str> = refused.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{refused:#?}");
    assert!(lines[0].ends_with("default") && lines[1].ends_with(server.base_url()));
    assert!(lines[3].ends_with("refused by the API"), "{refused:#?}");
    assert!(
        refused.stderr.contains("sdm login --profile default")
            && refused.stderr.contains("error: ")
            && refused.stderr.contains("Invalid token."),
        "{refused:#?}"
    );
    assert_hidden(&token, &refused);
    let listed = run_expect(&mut home.sdm(&["jobs", "list"]), 3);
    assert_hidden(&token, &listed);

    // Logging in again saves the new token the server now issues.
    home.login(&server, None);
    assert_ne!(home.token("default"), token);
    run_expect(&mut home.sdm(&["auth", "status"]), 0);
}

#[test]
fn with_token_checks_then_saves_an_existing_token() {
    let server = MockServer::start();
    let home = Home::new();
    let mut command = home.sdm(&["--base-url", server.base_url(), "login", "--with-token"]);
    command.args(["--profile", "sso"]);
    let run = run_with_stdin(&mut command, Some("ffffffff-ffff-4fff-8fff-ffffffffffff\n"));
    assert_eq!(run.code, 3, "a refused token: {run:#?}");
    assert_hidden("ffffffff-ffff-4fff-8fff-ffffffffffff", &run);
    assert!(!home.credentials().exists(), "nothing saved");

    let mut command = home.sdm(&["--base-url", server.base_url(), "login", "--with-token"]);
    command.args(["--profile", "sso"]);
    let run = run_with_stdin(&mut command, Some(&format!("  {}\r\n", server.token())));
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(run.stdout, "");
    assert_hidden(server.token(), &run);
    assert_eq!(home.token("sso"), server.token());
    run_expect(&mut home.sdm(&["jobs", "list", "--profile", "sso"]), 0);

    for conflicting in [
        &["login", "--with-token", "--email", "a@example.com"][..],
        &["login", "--with-token", "--print"],
        &["login", "--with-token", "--password-stdin"],
    ] {
        run_expect(&mut home.sdm(conflicting), 2);
    }
}

#[test]
fn logout_removes_the_profile_then_the_file() {
    let server = MockServer::start();
    let home = Home::new();
    home.login(&server, None);
    home.login(&server, Some("work"));

    let out = run_expect(&mut home.sdm(&["logout", "--profile", "work"]), 0);
    assert!(out.stderr.contains("removed profile work"), "{out:#?}");
    let saved = home.saved();
    assert!(saved["profiles"].get("work").is_none(), "{saved}");
    assert!(saved["profiles"].get("default").is_some(), "{saved}");
    #[cfg(unix)]
    assert_eq!(mode(&home.credentials()), 0o600, "rewritten private");
    let gone = run_expect(&mut home.sdm(&["--profile", "work", "jobs", "list"]), 2);
    assert!(
        gone.stderr.contains("no saved login named work"),
        "{gone:#?}"
    );

    run_expect(&mut home.sdm(&["logout"]), 0);
    assert!(
        !home.credentials().exists(),
        "the last profile takes the file"
    );
    let none = run_expect(&mut home.sdm(&["jobs", "list"]), 2);
    assert!(none.stderr.contains("no API token"), "{none:#?}");

    // Logging out again changes nothing, and says so.
    let again = run(&mut home.sdm(&["logout"]));
    assert_eq!(again.code, 0, "{again:#?}");
    assert!(again.stderr.contains("not logged in"), "{again:#?}");
}
