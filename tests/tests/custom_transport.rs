//! The proof that the kit and the transport traits are enough: the HTTP/1.0 transport over
//! `std::net::TcpStream` of sdm-core's `custom_transport` example (that very file, not a copy)
//! passes every scenario and the fault matrix, with the few lines a third party writes.

#[allow(dead_code)] // The example's `main`.
#[path = "../../crates/sdm-core/examples/custom_transport.rs"]
mod example;

use sdm_conformance::{Subject, Timeouts};
use sdm_core::ClientConfig;

/// Its read timeout bounds every wait, so `timeouts.overall` is not needed.
fn connect(config: ClientConfig, timeouts: Timeouts) -> Box<dyn Subject> {
    let transport = example::TcpTransport::new(timeouts.connect, timeouts.read);
    sdm_conformance::blocking("tcp", config, transport)
}

sdm_conformance::conformance_tests!(connect);
