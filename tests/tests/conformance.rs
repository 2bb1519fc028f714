//! The first-party transports pass the conformance kit, through the same macro a third-party
//! transport uses: every scenario, and the fault matrix.

mod first_party;

mod ureq {
    sdm_conformance::conformance_tests!(super::first_party::ureq);
}

mod reqwest {
    sdm_conformance::conformance_tests!(super::first_party::reqwest);
}
