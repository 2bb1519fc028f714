//! `GET projects/` (paginated like jobs) and `GET projects/{id}/` (with its steps).

use http::{Method, Request, StatusCode, Uri};

use crate::base_url;
use crate::config::ClientConfig;
use crate::error::{DecodeError, Error, InvalidInput};
use crate::model::{Page, Project, ProjectId};
use crate::ops::Operation;
use crate::request::{self, Auth};
use crate::response::{decode_json, excerpt};
use crate::transport::RequestBody;

/// Which page of the organization's projects to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProjectQuery {
    /// The page to fetch, from 1 (server default: 1).
    pub page: Option<u64>,
    /// Projects per page (server default: 25; servers cap large values silently).
    pub page_size: Option<u64>,
}

impl ProjectQuery {
    /// The first page, server's page size.
    pub fn new() -> Self {
        Self::default()
    }

    /// The page to fetch, from 1.
    pub fn page(mut self, page: u64) -> Self {
        self.page = Some(page);
        self
    }

    /// Projects per page.
    pub fn page_size(mut self, page_size: u64) -> Self {
        self.page_size = Some(page_size);
        self
    }
}

/// Fetches one page of projects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListProjects {
    query: ProjectQuery,
    next: Option<Uri>,
}

impl ListProjects {
    /// The operation for `query`.
    pub fn new(query: ProjectQuery) -> Self {
        Self { query, next: None }
    }

    /// The page a previous response's `next` link points at (refused unless on the base URL's
    /// origin). `page` is its number, for messages.
    pub fn next_link(next: Uri, page: u64) -> Self {
        Self {
            query: ProjectQuery::new().page(page),
            next: Some(next),
        }
    }
}

impl Operation for ListProjects {
    type Output = Page<Project>;

    fn name(&self) -> &'static str {
        "list_projects"
    }

    fn describe(&self) -> String {
        match self.query.page {
            Some(page) => format!("list projects (page {page})"),
            None => "list projects".to_owned(),
        }
    }

    fn request(&self, config: &ClientConfig) -> Result<Request<RequestBody>, Error> {
        if let Some(next) = &self.next {
            return request::build_next_link(config, next);
        }
        let pairs = page_pairs(self.query.page, self.query.page_size)?;
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let url = base_url::endpoint_with_query(config.base_url(), &["projects"], &pairs);
        request::build(config, Method::GET, &url, Auth::Token, None)
    }

    fn parse_success(&self, status: StatusCode, body: &[u8]) -> Result<Page<Project>, Error> {
        decode_json(|| self.describe(), status, body)
    }
}

/// The `page` and `page_size` query pairs, checked.
pub(crate) fn page_pairs(
    page: Option<u64>,
    page_size: Option<u64>,
) -> Result<Vec<(&'static str, String)>, InvalidInput> {
    if page == Some(0) {
        return Err(InvalidInput::new("page", "pages are numbered from 1"));
    }
    if page_size == Some(0) {
        return Err(InvalidInput::new("page size", "it must be at least 1"));
    }
    let mut pairs = Vec::new();
    if let Some(page) = page {
        pairs.push(("page", page.to_string()));
    }
    if let Some(page_size) = page_size {
        pairs.push(("page_size", page_size.to_string()));
    }
    Ok(pairs)
}

/// Fetches one project, with its steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetProject {
    id: ProjectId,
}

impl GetProject {
    /// The operation for the project `id`.
    pub fn new(id: ProjectId) -> Self {
        Self { id }
    }
}

impl Operation for GetProject {
    type Output = Project;

    fn name(&self) -> &'static str {
        "get_project"
    }

    fn describe(&self) -> String {
        format!("get project {}", self.id)
    }

    fn request(&self, config: &ClientConfig) -> Result<Request<RequestBody>, Error> {
        let id = self.id.to_string();
        let url = config.base_url().endpoint(&["projects", &id]);
        request::build(config, Method::GET, &url, Auth::Token, None)
    }

    /// A project other than the one asked for is a decode error at `id`, never a result: its
    /// steps would be shown as this project's.
    fn parse_success(&self, status: StatusCode, body: &[u8]) -> Result<Project, Error> {
        let project: Project = decode_json(|| self.describe(), status, body)?;
        if project.id != self.id {
            return Err(Error::Decode(Box::new(DecodeError::new(
                self.describe(),
                status,
                "id".to_owned(),
                format!(
                    "the response is project {}, not the project asked for",
                    project.id
                ),
                excerpt(body, 0),
                None,
            ))));
        }
        Ok(project)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_projects_answer_is_an_error_not_a_result() {
        let op = GetProject::new(ProjectId(4));
        let project = op
            .parse_success(
                StatusCode::OK,
                br#"{"id": 4, "name": "Garden", "steps": []}"#,
            )
            .unwrap();
        assert_eq!(project.id, ProjectId(4));
        let error = op
            .parse_success(
                StatusCode::OK,
                br#"{"id": 5, "name": "Other", "steps": []}"#,
            )
            .unwrap_err();
        let Error::Decode(decode) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(decode.path, "id");
        assert!(error.to_string().contains("project 5"), "{error}");
    }
}
