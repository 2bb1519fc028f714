//! The first-party transports as the kit makes them: each builds its transport from the kit's
//! timeouts and hands it to the kit's generic subject, as a third-party transport would.

use sdm_conformance::{Subject, Timeouts};
use sdm_core::ClientConfig;

/// `sdm-ureq`: the blocking client over ureq. Its per-read timeout does not bound every wait of
/// a body, so it also takes the overall bound.
pub fn ureq(config: ClientConfig, timeouts: Timeouts) -> Box<dyn Subject> {
    let transport = sdm_ureq::UreqTransport::builder()
        .connect_timeout(timeouts.connect)
        .read_timeout(timeouts.read)
        .timeout(timeouts.overall)
        .build();
    sdm_conformance::blocking("ureq", config, transport)
}

/// `sdm-reqwest`: the async client over reqwest, on a runtime of the subject's own.
pub fn reqwest(config: ClientConfig, timeouts: Timeouts) -> Box<dyn Subject> {
    let transport = sdm_reqwest::ReqwestTransport::builder()
        .connect_timeout(timeouts.connect)
        .read_timeout(timeouts.read)
        .build();
    sdm_conformance::asynchronous("reqwest", config, transport)
}
