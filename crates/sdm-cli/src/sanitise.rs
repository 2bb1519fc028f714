//! The one sanitiser of text that came from the server (a `detail`, field errors, an HTML or
//! decode-error excerpt, job names and messages, column names, cells), so that nothing a
//! hostile or broken server sends can drive the user's terminal or disguise what it shows.
//!
//! One list of unsafe characters ([`is_unsafe`]), applied three ways, one per kind of output:
//!
//! - **for people** ([`printable`]: tables, key/value listings, progress lines, notes, errors
//!   and hints): line breaks and tabs become spaces, every other unsafe character becomes `�`
//!   (so that hidden text shows that something was there), and the text is cut to
//!   [`MAX_TEXT_CHARS`] characters with an ellipsis;
//! - **JSON** ([`escape_json`]: `-o json`, `-o ndjson`, rows): what a terminal would act on,
//!   DEL and C1 controls, and the bidi controls that reorder what it shows, are written as
//!   `\uXXXX` escapes: valid JSON unescaped, but the value is the same escaped, for every JSON
//!   parser. C0 controls are always escaped by JSON itself. Invisible characters are kept, as
//!   data (they drive nothing, and rows are passed through as the server wrote them);
//! - **CSV** ([`csv_text`]): controls other than tab, CR and LF (which quoting keeps as
//!   data) become `�`; bidi and invisible characters are kept, since a CSV is data for a
//!   spreadsheet and right-to-left names legitimately hold them, and none of them is an escape
//!   sequence.
//!
//! Text for people (and the log lines of `RUST_LOG`, [`log_line`]) also has the client's own
//! secrets masked: the token and the login password, once the command knows them
//! ([`add_secret`]), become `[redacted]` wherever a server echoes them (a job's message, a
//! file's parsing error, a project's name, an error's detail). JSON and CSV outputs are data,
//! passed on as the server sent them (see docs/cli.md, "Text from the server").

use std::borrow::Cow;
use std::sync::RwLock;

/// The most characters of one piece of server text shown to people; longer text is cut, with
/// `…`. Messages are one line on a terminal, and a server can send megabytes.
pub const MAX_TEXT_CHARS: usize = 500;

/// The most characters of one log line (`RUST_LOG`); longer lines are cut, with `…`.
pub const MAX_LOG_CHARS: usize = 4 * MAX_TEXT_CHARS;

/// What a secret shows as.
const REDACTED: &str = "[redacted]";

/// The shortest secret masked: a shorter one (a test token such as `t`) would turn every word
/// containing it into `[redacted]`, and no real token or password is that short.
const MIN_SECRET: usize = 4;

/// The secrets of this process, in the forms text for people may show them: as written, and
/// with whitespace collapsed (as [`printable`] shows line breaks and tabs). Longest first.
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Masks `secret` (the token, the login password) in all text for people and in log lines
/// from now on. Secrets shorter than four characters are ignored.
pub fn add_secret(secret: &str) {
    if secret.chars().count() < MIN_SECRET {
        return;
    }
    let collapsed = secret.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut secrets = SECRETS
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for form in [secret.to_owned(), collapsed] {
        if !form.trim().is_empty() && !secrets.contains(&form) {
            secrets.push(form);
        }
    }
    secrets.sort_by_key(|form| std::cmp::Reverse(form.len()));
}

/// `text` with every secret given to [`add_secret`] replaced by `[redacted]`.
pub fn masked(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut text = Cow::Borrowed(text);
    for secret in secrets.iter() {
        if text.contains(secret.as_str()) {
            text = Cow::Owned(text.replace(secret.as_str(), REDACTED));
        }
    }
    text
}

/// Whether `text` holds a secret given to [`add_secret`].
pub fn contains_secret(text: &str) -> bool {
    matches!(masked(text), Cow::Owned(_))
}

/// Characters that must not reach a terminal raw: controls (C0, DEL, C1: escape sequences
/// start with ESC or a C1 such as CSI U+009B), bidirectional formatting characters
/// ([`is_bidi_control`]) and invisible characters ([`is_invisible`]).
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || is_invisible(c)
}

/// The bidirectional formatting characters (marks, embeddings, overrides, isolates), which
/// reorder what a terminal shows: `invoice\u{202E}vsc.exe` reads as `invoiceexe.csv`.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that show as nothing, and so can hide or fake text: zero-width spaces and
/// joiners, line and paragraph separators, invisible operators, deprecated format characters,
/// the byte order mark, interlinear annotations and tags.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{180E}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{2060}'..='\u{2064}'
            | '\u{206A}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// Whether `c` breaks a line or separates (shown as a space rather than `�`).
fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\t' | '\u{2028}' | '\u{2029}')
}

/// Server text for people: one line, no unsafe character (see [`is_unsafe`]), no secret
/// (see [`add_secret`]), at most [`MAX_TEXT_CHARS`] characters and an ellipsis.
pub fn printable(text: &str) -> Cow<'_, str> {
    bounded(printable_whole(text), MAX_TEXT_CHARS)
}

/// Like [`printable`] without the length bound, for text a script reads back whole (a path
/// the command wrote).
pub fn printable_whole(text: &str) -> Cow<'_, str> {
    let text = masked(text);
    if !text.chars().any(is_unsafe) {
        return text;
    }
    Cow::Owned(
        text.chars()
            .map(|c| match c {
                c if is_break(c) => ' ',
                c if is_unsafe(c) => '\u{fffd}',
                c => c,
            })
            .collect(),
    )
}

/// One formatted log event (`RUST_LOG`) as it may reach standard error: [`printable_whole`]
/// (so a field holding server text can neither drive the terminal nor start a fake log line,
/// and no secret shows), cut to [`MAX_LOG_CHARS`], and ending in its one newline.
pub fn log_line(event: &str) -> String {
    let event = event.strip_suffix('\n').unwrap_or(event);
    let mut line = bounded(printable_whole(event), MAX_LOG_CHARS).into_owned();
    line.push('\n');
    line
}

/// `text` cut to `max` characters, ending in `…` when something was cut. (Secrets are masked
/// before the cut, so a cut never leaves part of one.)
fn bounded(text: Cow<'_, str>, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => text,
        Some((end, _)) => Cow::Owned(format!("{}…", &text[..end])),
    }
}

/// A CSV cell's text with controls other than tab, CR and LF replaced by `�`.
pub fn csv_text(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && !matches!(c, '\t' | '\r' | '\n');
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| if unsafe_char(c) { '\u{fffd}' } else { c })
            .collect(),
    )
}

/// Rewrites the JSON text in `json` with DEL, the C1 controls and the bidi controls as
/// `\uXXXX` escapes. In valid JSON such characters can only stand inside
/// strings, where an escape means the same character, so the value is unchanged; ASCII, and
/// so the layout (line breaks between tokens), is left alone. Text that is not UTF-8 is left
/// as it is (JSON writers never produce it).
pub fn escape_json(json: &mut Vec<u8>) {
    // The common case, ASCII or harmless text (accents, CJK, emoji), costs one byte search.
    if !needs_json_escape(json) {
        return;
    }
    let Ok(text) = std::str::from_utf8(json) else {
        return;
    };
    // All of them are in the Basic Multilingual Plane: one `\uXXXX` each.
    let needs_escape = |c: char| c >= '\u{7f}' && (c.is_control() || is_bidi_control(c));
    let mut escaped = String::with_capacity(text.len() + 32);
    for c in text.chars() {
        if needs_escape(c) {
            escaped.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            escaped.push(c);
        }
    }
    *json = escaped.into_bytes();
}

/// Whether the UTF-8 text `bytes` holds a character [`escape_json`] escapes, told from the
/// bytes alone: DEL (`7F`), a C1 control (`C2 80`..`C2 9F`), U+061C (`D8 9C`), U+200E, U+200F,
/// U+202A..U+202E (`E2 80 ..`) or U+2066..U+2069 (`E2 81 ..`).
pub fn needs_json_escape(bytes: &[u8]) -> bool {
    memchr::memchr(0x7f, bytes).is_some()
        || memchr::memchr3_iter(0xc2, 0xd8, 0xe2, bytes).any(|at| {
            matches!(
                (bytes[at], bytes.get(at + 1), bytes.get(at + 2)),
                (0xc2, Some(0x80..=0x9f), _)
                    | (0xd8, Some(0x9c), _)
                    | (0xe2, Some(0x80), Some(0x8e | 0x8f | 0xaa..=0xae))
                    | (0xe2, Some(0x81), Some(0xa6..=0xa9))
            )
        })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn control_bidi_and_invisible_characters_are_neutralised() {
        assert_eq!(printable("plain – 東京"), "plain – 東京");
        assert!(matches!(printable("plain"), Cow::Borrowed(_)));
        assert_eq!(printable("a\tb\r\nc"), "a b  c");
        assert_eq!(
            printable("\u{1b}[2J\u{7f}\u{85}\u{9b}31m"),
            "\u{fffd}[2J\u{fffd}\u{fffd}\u{fffd}31m"
        );
        assert_eq!(
            printable("\u{1b}]8;;http://evil\u{7}link\u{1b}]8;;\u{1b}\\"),
            "\u{fffd}]8;;http://evil\u{fffd}link\u{fffd}]8;;\u{fffd}\\"
        );
        assert_eq!(
            printable("invoice\u{202E}vsc.exe \u{2066}x\u{2069}\u{200F}"),
            "invoice\u{fffd}vsc.exe \u{fffd}x\u{fffd}\u{fffd}"
        );
        assert_eq!(
            printable("a\u{2028}b\u{2029}c\u{200B}d\u{FEFF}e\u{E0041}"),
            "a b c\u{fffd}d\u{fffd}e\u{fffd}"
        );
    }

    #[test]
    fn the_clients_secrets_are_masked_in_text_for_people_and_logs() {
        // Unique to this test: the registry is the process's, shared by every test.
        add_secret("0b5e1c5e-mask-test-token");
        add_secret("pass\tword of mine");
        add_secret("abc");
        assert_eq!(
            printable("Invalid token 0b5e1c5e-mask-test-token\u{1b}[2J"),
            "Invalid token [redacted]\u{fffd}[2J"
        );
        // A password is found with its whitespace as written, or collapsed to single spaces.
        assert_eq!(printable("pw pass\tword of mine!"), "pw [redacted]!");
        assert_eq!(printable_whole("pass word of mine"), "[redacted]");
        // Three characters are too short to be anyone's secret.
        assert_eq!(printable("abc"), "abc");
        assert_eq!(
            log_line("DEBUG next=https://x/?t=0b5e1c5e-mask-test-token\n"),
            "DEBUG next=https://x/?t=[redacted]\n"
        );
        // Masked before the cut, so no cut leaves part of a secret.
        let cut = format!("{}0b5e1c5e-mask-test-token", "x".repeat(MAX_TEXT_CHARS - 6));
        assert_eq!(
            printable(&cut),
            format!("{}[redac…", "x".repeat(MAX_TEXT_CHARS - 6))
        );
        // Data outputs keep the server's values.
        assert_eq!(
            csv_text("0b5e1c5e-mask-test-token"),
            "0b5e1c5e-mask-test-token"
        );
    }

    #[test]
    fn log_lines_keep_one_newline_and_nothing_unsafe() {
        assert_eq!(log_line("plain event\n"), "plain event\n");
        assert_eq!(log_line("no newline"), "no newline\n");
        assert_eq!(
            log_line("detail=\"x\u{1b}[31m\nFAKE  ERROR line\u{9b}\u{202e}\"\n"),
            "detail=\"x\u{fffd}[31m FAKE  ERROR line\u{fffd}\u{fffd}\"\n"
        );
        let long = log_line(&"y".repeat(MAX_LOG_CHARS * 3));
        assert_eq!(long.chars().count(), MAX_LOG_CHARS + 2);
        assert!(long.ends_with("y…\n"), "{long}");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        let long = "é".repeat(MAX_TEXT_CHARS + 1);
        let cut = printable(&long);
        assert_eq!(cut.chars().count(), MAX_TEXT_CHARS + 1);
        assert!(cut.ends_with("é…"), "{cut}");
        let exact = "x".repeat(MAX_TEXT_CHARS);
        assert_eq!(printable(&exact), exact);
        assert_eq!(printable_whole(&long), long);
    }

    #[test]
    fn csv_keeps_line_breaks_tabs_and_text_but_no_controls() {
        assert_eq!(csv_text("a\tb\r\nc"), "a\tb\r\nc");
        assert_eq!(
            csv_text("\u{1b}[2J\u{9b}\u{7f}"),
            "\u{fffd}[2J\u{fffd}\u{fffd}"
        );
        assert_eq!(csv_text("שלום\u{200F}"), "שלום\u{200F}");
        assert!(matches!(csv_text("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_escapes_what_a_terminal_acts_on_and_keeps_the_value() {
        let value = serde_json::json!({"name": "a\u{1b}[2J\u{9b}\u{202E}\u{7f}\u{200B}é", "n": 1});
        let mut json = serde_json::to_vec_pretty(&value).unwrap();
        escape_json(&mut json);
        let text = String::from_utf8(json).unwrap();
        assert_eq!(
            text,
            "{\n  \"name\": \"a\\u001b[2J\\u009b\\u202e\\u007f\u{200B}é\",\n  \"n\": 1\n}"
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            value
        );
    }

    /// Text rich in what a hostile server would send: controls, escapes, bidi and invisible
    /// characters, line breaks, and any other character.
    fn hostile_text() -> impl Strategy<Value = String> {
        let special = prop::sample::select(vec![
            '\u{0}',
            '\u{7}',
            '\u{8}',
            '\t',
            '\n',
            '\u{b}',
            '\r',
            '\u{1b}',
            '\u{7f}',
            '\u{80}',
            '\u{85}',
            '\u{9b}',
            '\u{9d}',
            '\u{9f}',
            '\u{a0}',
            '\u{ad}',
            '\u{61c}',
            '\u{200b}',
            '\u{200d}',
            '\u{200e}',
            '\u{2028}',
            '\u{2029}',
            '\u{202a}',
            '\u{202e}',
            '\u{2066}',
            '\u{2069}',
            '\u{feff}',
            '\u{e0041}',
            '[',
            ']',
            '\\',
            '"',
            ',',
            'é',
            '東',
        ]);
        prop::collection::vec(prop_oneof![special, any::<char>()], 0..700)
            .prop_map(|chars| chars.into_iter().collect())
    }

    fn is_bidi(c: char) -> bool {
        matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    }

    proptest! {
        #[test]
        fn nothing_unsafe_is_ever_printed(text in hostile_text()) {
            for shown in [printable(&text), printable_whole(&text)] {
                prop_assert!(shown.bytes().all(|b| b >= 0x20 && b != 0x7f), "{shown:?}");
                prop_assert!(!shown.chars().any(|c| c.is_control() || is_bidi(c)), "{shown:?}");
                prop_assert!(!shown.chars().any(is_unsafe), "{shown:?}");
            }
            prop_assert!(printable(&text).chars().count() <= MAX_TEXT_CHARS + 1);
        }

        #[test]
        fn csv_text_has_no_control_but_tab_and_line_breaks(text in hostile_text()) {
            let cell = csv_text(&text);
            prop_assert!(
                cell.chars().all(|c| !c.is_control() || matches!(c, '\t' | '\r' | '\n')),
                "{cell:?}"
            );
        }

        #[test]
        fn the_byte_search_finds_exactly_the_characters_escaped(text in hostile_text()) {
            let escaped = |c: char| c >= '\u{7f}' && (c.is_control() || is_bidi(c));
            prop_assert_eq!(needs_json_escape(text.as_bytes()), text.chars().any(escaped));
        }

        #[test]
        fn escaped_json_reads_back_the_same_and_shows_nothing_unsafe(text in hostile_text()) {
            let value = serde_json::json!({ "text": text, "list": [text] });
            for pretty in [false, true] {
                let mut json = if pretty {
                    serde_json::to_vec_pretty(&value).unwrap()
                } else {
                    serde_json::to_vec(&value).unwrap()
                };
                escape_json(&mut json);
                let shown = String::from_utf8(json).unwrap();
                prop_assert!(
                    shown.bytes().all(|b| b >= 0x20 || (pretty && b == b'\n')),
                    "{shown:?}"
                );
                prop_assert!(
                    !shown.chars().any(|c| c.is_control() && !(pretty && c == '\n')),
                    "{shown:?}"
                );
                prop_assert!(!shown.chars().any(is_bidi), "{shown:?}");
                let back: serde_json::Value = serde_json::from_str(&shown).unwrap();
                prop_assert_eq!(&back, &value);
            }
        }
    }
}
