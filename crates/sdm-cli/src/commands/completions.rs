//! What comes from the clap definitions of [`crate::cli`] alone, so that it always matches what
//! the binary accepts: `sdm completions SHELL`, a completion script; the hidden `sdm __man DIR`,
//! which `cargo xtask man` runs, a man page per command; and the hidden `sdm __parse ARGS...`,
//! which checks a command line as the binary would parse it, without running it (for the
//! documentation's tests: `--help` would skip the checks of required and conflicting options).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::CommandFactory;

use super::stdout_error;
use crate::cli::{Cli, CompletionsArgs, ManPagesArgs, ParseArgs};
use crate::error::CliError;

/// The program's name, as shells and `man` know it.
const BIN: &str = "sdm";

pub fn run(args: &CompletionsArgs, stdout: &mut dyn Write) -> Result<(), CliError> {
    // Generated in memory first: clap_complete panics when its writer fails, and a closed
    // pipe is no reason to panic.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut offered(), BIN, &mut script);
    stdout.write_all(&script).map_err(stdout_error)
}

/// The command line as completions offer it: without the hidden commands, which some of
/// clap_complete's generators would offer anyway.
fn offered() -> clap::Command {
    let full = Cli::command();
    let visible = full
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set())
        .cloned()
        .collect::<Vec<_>>();
    clap::Command::new(BIN)
        .version(env!("CARGO_PKG_VERSION"))
        .args(full.get_arguments().cloned())
        .groups(full.get_groups().cloned())
        .subcommands(visible)
}

pub fn man_pages(args: &ManPagesArgs, stdout: &mut dyn Write) -> Result<(), CliError> {
    let dir = &args.dir;
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::io(format!("could not create {}", dir.display()), e))?;
    for (name, page) in pages()? {
        let path = dir.join(format!("{name}.1"));
        write_page(&path, &page)?;
        writeln!(stdout, "{}", path.display()).map_err(stdout_error)?;
    }
    Ok(())
}

/// `sdm __parse ARGS...`: `Ok` when `sdm ARGS...` parses, clap's own report (and exit 2)
/// otherwise.
pub fn parse_only(args: &ParseArgs) -> Result<(), CliError> {
    let words = std::iter::once(BIN.into()).chain(args.args.iter().cloned());
    match Cli::try_parse_args(words) {
        Ok(_) => Ok(()),
        // `--help` and `--version` parse too; their text is not wanted here.
        Err(error) if error.exit_code() == 0 => Ok(()),
        Err(error) => error.exit(),
    }
}

/// Every man page, by name (`sdm`, `sdm-jobs`, `sdm-jobs-list`...): the program, then each
/// command and subcommand a user can type, depth first.
pub fn pages() -> Result<Vec<(String, Vec<u8>)>, CliError> {
    let mut command = Cli::command();
    // Propagates the global options and names every subcommand `sdm-jobs-list`.
    command.build();
    let mut pages = Vec::new();
    collect(&command, &mut pages)?;
    Ok(pages)
}

fn collect(command: &clap::Command, pages: &mut Vec<(String, Vec<u8>)>) -> Result<(), CliError> {
    let name = command
        .get_display_name()
        .unwrap_or_else(|| command.get_name())
        .to_owned();
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut page)
        .map_err(|e| CliError::io(format!("could not render the man page {name}"), e))?;
    pages.push((name, page));
    for sub in command.get_subcommands() {
        if !sub.is_hide_set() && sub.get_name() != "help" {
            collect(sub, pages)?;
        }
    }
    Ok(())
}

fn write_page(path: &Path, page: &[u8]) -> Result<(), CliError> {
    std::fs::write(path, page).map_err(|e| {
        CliError::io(
            format!("could not write {}", PathBuf::from(path).display()),
            e,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words a user can type to reach each command: `jobs list`, `completions`...
    fn visible_paths(command: &clap::Command, prefix: &str, paths: &mut Vec<String>) {
        for sub in command.get_subcommands() {
            if sub.is_hide_set() || sub.get_name() == "help" {
                continue;
            }
            let path = format!("{prefix}-{}", sub.get_name());
            paths.push(path.clone());
            visible_paths(sub, &path, paths);
        }
    }

    #[test]
    fn one_man_page_per_command_and_subcommand() {
        let pages = pages().unwrap();
        let names: Vec<&str> = pages.iter().map(|(name, _)| name.as_str()).collect();
        let mut expected = vec![BIN.to_owned()];
        visible_paths(&Cli::command(), BIN, &mut expected);
        assert_eq!(names, expected);
        for name in [
            "sdm",
            "sdm-jobs",
            "sdm-jobs-list",
            "sdm-completions",
            "sdm-mock",
        ] {
            assert!(names.contains(&name), "{name} in {names:?}");
        }
        assert!(
            !names
                .iter()
                .any(|n| n.contains("__man") || n.ends_with("-help"))
        );
        for (name, page) in &pages {
            let text = String::from_utf8_lossy(page);
            assert!(text.contains(".TH"), "{name} is a man page");
            assert!(
                text.contains(&name.replace('-', "\\-")),
                "{name} names itself"
            );
        }
        // Global options are on every page, as the binary accepts them after any command.
        let (_, list) = pages.iter().find(|(n, _)| n == "sdm-jobs-list").unwrap();
        let list = String::from_utf8_lossy(list);
        assert!(
            list.contains("progress") && list.contains("created\\-after"),
            "{list}"
        );
    }

    #[test]
    fn completion_scripts_name_the_commands() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
            clap_complete::Shell::PowerShell,
            clap_complete::Shell::Elvish,
        ] {
            let mut out = Vec::new();
            run(&CompletionsArgs { shell }, &mut out).unwrap();
            let script = String::from_utf8(out).unwrap();
            for word in ["jobs", "list", "projects", "completions", "--progress"] {
                assert!(script.contains(word), "{shell}: {word}");
            }
            assert!(
                !script.contains("__man"),
                "{shell}: the hidden command is not offered"
            );
        }
    }

    #[test]
    fn a_failing_writer_is_an_error_not_a_panic() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let args = CompletionsArgs {
            shell: clap_complete::Shell::Bash,
        };
        let error = run(&args, &mut Closed).unwrap_err();
        assert!(error.is_broken_pipe());
    }
}
