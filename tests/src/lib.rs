//! The workspace's own cross-crate tests (not published): the conformance kit
//! (`crates/sdm-conformance`) run on `sdm-ureq`, `sdm-reqwest` and sdm-core's
//! `custom_transport` example, the secrets and timeouts checks, and, as this crate's doc tests,
//! the code blocks of the README and of every guide in `docs/`.

/// The code blocks of the README and of every guide in `docs/` run as this crate's doc tests.
#[cfg(doctest)]
pub mod documentation {
    #[doc = include_str!("../../README.md")]
    pub struct Readme;
    #[doc = include_str!("../../docs/getting-started.md")]
    pub struct GettingStarted;
    #[doc = include_str!("../../docs/cli.md")]
    pub struct Cli;
    #[doc = include_str!("../../docs/errors-and-retries.md")]
    pub struct ErrorsAndRetries;
    #[doc = include_str!("../../docs/writing-a-transport.md")]
    pub struct WritingATransport;
    #[doc = include_str!("../../docs/architecture.md")]
    pub struct Architecture;
    #[doc = include_str!("../../docs/fuzzing.md")]
    pub struct Fuzzing;
    #[doc = include_str!("../../docs/maintaining.md")]
    pub struct Maintaining;
}
