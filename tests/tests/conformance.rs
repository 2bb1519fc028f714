//! Runs every conformance scenario against every first-party transport.

macro_rules! conformance {
    ($($scenario:ident),* $(,)?) => {
        mod ureq {
            $(#[test] fn $scenario() { sdm_tests::scenarios::$scenario(sdm_tests::subjects::ureq) })*
        }
        mod reqwest {
            $(#[test] fn $scenario() { sdm_tests::scenarios::$scenario(sdm_tests::subjects::reqwest) })*
        }
    };
}

conformance!(
    login_returns_a_working_token,
    login_with_a_wrong_password_is_refused,
    get_job_returns_every_field_the_server_sent,
    get_unknown_job_is_not_found,
    wrong_token_is_an_authentication_error,
    list_first_page,
    list_every_page_by_number,
    list_page_size_is_capped_by_the_server,
    list_filters,
    job_data_matches_the_server,
    job_data_errors,
    connection_refused_is_a_connect_error,
    all_pages_yield_every_job_once,
    all_pages_with_filters_and_a_limit,
    streamed_rows_are_the_servers_rows,
    all_pages_under_the_fair_use_limit,
    jobs_created_during_a_walk,
    waiting_for_jobs_that_finish_fail_or_need_action,
    a_large_output_streams_completely,
);
