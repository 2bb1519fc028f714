//! The first-party transports as the kit makes them: each builds its transport from the kit's
//! timeouts and hands it to the kit's generic subject, as a third-party transport would.

use sdm_conformance::{Subject, Timeouts};
use sdm_core::ClientConfig;

/// `sdm-ureq`: the blocking client over ureq.
pub fn ureq(config: ClientConfig, timeouts: Timeouts) -> Box<dyn Subject> {
    let transport = sdm_ureq::UreqTransport::with_timeouts(timeouts);
    sdm_conformance::blocking("ureq", config, transport)
}

/// `sdm-reqwest`: the async client over reqwest, on a runtime of the subject's own.
pub fn reqwest(config: ClientConfig, timeouts: Timeouts) -> Box<dyn Subject> {
    let transport = sdm_reqwest::ReqwestTransport::with_timeouts(timeouts);
    sdm_conformance::asynchronous("reqwest", config, transport)
}
