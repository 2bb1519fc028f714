//! The fault plans of one server: replaced as a whole at run time, matched against each request
//! in order, with atomic per-plan budgets and a count of faulted responses.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use axum::http::Method;

use super::{Fault, FaultPlan, Route};
use crate::urls;

/// What a request's path (and, for `jobs/`, its method) resolves to, as far as [`Route`] is
/// concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum RouteKind {
    /// `auth/token/`.
    Token,
    /// `jobs/{job_id}/`.
    JobDetail,
    /// `jobs/`.
    JobList,
    /// `jobs/{job_id}/data/{output_format_id}/`.
    JobData,
    /// `files/`.
    FileUpload,
    /// `files/{id}/`.
    FileDetail,
    /// `POST jobs/`.
    JobCreate,
    /// `jobs/{job_id}/download/{output_format_id}/`.
    JobDownload,
    /// `projects/`.
    ProjectList,
    /// `projects/{id}/`.
    ProjectDetail,
    /// No API route (unknown path, missing trailing slash).
    Other,
}

impl RouteKind {
    /// The kind of a resolved route requested with `method`.
    pub(crate) fn of(route: Option<&urls::Route>, method: &Method) -> Self {
        match route {
            Some(urls::Route::Token) => Self::Token,
            Some(urls::Route::Job(_)) => Self::JobDetail,
            Some(urls::Route::Jobs) if method == Method::POST => Self::JobCreate,
            Some(urls::Route::Jobs) => Self::JobList,
            Some(urls::Route::JobData(..)) => Self::JobData,
            Some(urls::Route::JobDownload(..)) => Self::JobDownload,
            Some(urls::Route::Files) => Self::FileUpload,
            Some(urls::Route::File(_)) => Self::FileDetail,
            Some(urls::Route::Projects) => Self::ProjectList,
            Some(urls::Route::Project(_)) => Self::ProjectDetail,
            None => Self::Other,
        }
    }

    /// Whether a plan for `route` applies to requests of this kind.
    pub(crate) fn matches(self, route: Route) -> bool {
        let kind = match route {
            Route::Any => return true,
            Route::Token => Self::Token,
            Route::JobDetail => Self::JobDetail,
            Route::JobList => Self::JobList,
            Route::JobData => Self::JobData,
            Route::FileUpload => Self::FileUpload,
            Route::FileDetail => Self::FileDetail,
            Route::JobCreate => Self::JobCreate,
            Route::JobDownload => Self::JobDownload,
            Route::ProjectList => Self::ProjectList,
            Route::ProjectDetail => Self::ProjectDetail,
        };
        self == kind
    }
}

/// A plan and how many times it has been served.
#[derive(Debug)]
struct Active {
    plan: FaultPlan,
    served: AtomicU32,
}

impl Active {
    /// Whether the plan's budget is spent.
    fn exhausted(&self) -> bool {
        self.plan
            .times
            .is_some_and(|n| self.served.load(Ordering::Relaxed) >= n)
    }
}

/// The current plans of a server, in order.
#[derive(Debug, Default)]
pub(crate) struct FaultSet {
    plans: RwLock<Arc<Vec<Active>>>,
    served: AtomicU64,
}

/// The plan chosen for one request; serving it is [`Selected::claim`]ed once the fault
/// actually applies.
#[derive(Debug)]
pub(crate) struct Selected {
    plans: Arc<Vec<Active>>,
    index: usize,
}

impl Selected {
    /// The fault to serve.
    pub(crate) fn fault(&self) -> &Fault {
        &self.plans[self.index].plan.fault
    }

    /// Takes one unit of the plan's budget and counts the faulted response in `set`; `false`
    /// (and nothing counted) when concurrent requests spent the budget first.
    pub(crate) fn claim(&self, set: &FaultSet) -> bool {
        let active = &self.plans[self.index];
        let claimed = match active.plan.times {
            None => {
                active.served.fetch_add(1, Ordering::Relaxed);
                true
            }
            Some(n) => active
                .served
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                    (used < n).then_some(used + 1)
                })
                .is_ok(),
        };
        if claimed {
            set.served.fetch_add(1, Ordering::Relaxed);
        }
        claimed
    }
}

impl FaultSet {
    /// A set holding `plans`.
    pub(crate) fn new(plans: Vec<FaultPlan>) -> Self {
        let set = Self::default();
        set.replace(plans);
        set
    }

    /// Replaces every plan (budgets start afresh); the count of faulted responses goes on.
    pub(crate) fn replace(&self, plans: Vec<FaultPlan>) {
        let plans = plans
            .into_iter()
            .map(|plan| Active {
                plan,
                served: AtomicU32::new(0),
            })
            .collect();
        *self.plans.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(plans);
    }

    /// The first plan whose route matches and whose budget is not spent, if any.
    pub(crate) fn select(&self, kind: RouteKind) -> Option<Selected> {
        let plans = Arc::clone(&self.plans.read().unwrap_or_else(|e| e.into_inner()));
        let index = plans
            .iter()
            .position(|a| kind.matches(a.plan.route) && !a.exhausted())?;
        Some(Selected { plans, index })
    }

    /// How many responses were faulted so far.
    pub(crate) fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_matching_plan_wins_until_its_budget_is_spent() {
        let set = FaultSet::new(vec![
            FaultPlan::times(Fault::EmptyOk, 2).on(Route::JobList),
            FaultPlan::always(Fault::MalformedJson),
        ]);
        let mut seen = Vec::new();
        for _ in 0..4 {
            let selected = set.select(RouteKind::JobList).unwrap();
            assert!(selected.claim(&set));
            seen.push(selected.fault().clone());
        }
        assert_eq!(
            seen,
            [
                Fault::EmptyOk,
                Fault::EmptyOk,
                Fault::MalformedJson,
                Fault::MalformedJson
            ]
        );
        assert_eq!(
            set.select(RouteKind::Other).unwrap().fault(),
            &Fault::MalformedJson
        );
        assert_eq!(set.served(), 4);
        set.replace(Vec::new());
        assert!(set.select(RouteKind::JobList).is_none());
        assert_eq!(set.served(), 4);
    }

    #[test]
    fn claims_are_atomic() {
        let set = FaultSet::new(vec![FaultPlan::times(Fault::EmptyOk, 1)]);
        let a = set.select(RouteKind::Token).unwrap();
        let b = set.select(RouteKind::Token).unwrap();
        assert!(a.claim(&set));
        assert!(!b.claim(&set));
        assert!(set.select(RouteKind::Token).is_none());
        assert_eq!(set.served(), 1);
    }
}
