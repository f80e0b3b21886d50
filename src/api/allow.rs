//! The spec's routes: which methods a path has (the `Allow` header of a 405) and which operation
//! a request is (the metrics' `operation` label), read from the finished spec.

use serde_json::Value;

/// A path template of the spec: its segments, its methods as an `Allow` value, and the
/// `operation_id` of each method.
#[derive(Debug)]
struct Route {
    segments: Vec<String>,
    allow: String,
    operations: Vec<(String, String)>,
}

/// Every path template of the spec with the methods it serves.
#[derive(Debug, Default)]
pub struct RouteTable(Vec<Route>);

impl RouteTable {
    /// Reads the `paths` of a spec document.
    pub fn from_spec(document: &Value) -> Self {
        let mut routes = Vec::new();
        if let Some(paths) = document.get("paths").and_then(Value::as_object) {
            for (template, item) in paths {
                let mut operations: Vec<(String, String)> = item
                    .as_object()
                    .map(|ops| {
                        ops.iter()
                            .map(|(method, op)| {
                                let id = op["operationId"].as_str().unwrap_or(method);
                                (method.to_ascii_uppercase(), id.to_owned())
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                operations.sort();
                let methods: Vec<&str> = operations.iter().map(|(m, _)| m.as_str()).collect();
                routes.push(Route {
                    segments: template.split('/').map(str::to_owned).collect(),
                    allow: methods.join(", "),
                    operations,
                });
            }
        }
        RouteTable(routes)
    }

    /// The route a request path falls on.
    fn route(&self, path: &str) -> Option<&Route> {
        let segments: Vec<&str> = path.split('/').collect();
        self.0.iter().find(|route| {
            route.segments.len() == segments.len()
                && route
                    .segments
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| segment_matches(t, s))
        })
    }

    /// The methods served at a request path, as an `Allow` header value.
    pub fn allow(&self, path: &str) -> Option<&str> {
        self.route(path).map(|route| route.allow.as_str())
    }

    /// The `operation_id` of a request: its method at its path.
    pub fn operation(&self, method: &str, path: &str) -> Option<&str> {
        self.route(path)?
            .operations
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, id)| id.as_str())
    }
}

/// `{id}` matches a segment without a colon (a colon marks a custom method), `{id}:send` any
/// segment ending in `:send`, and text itself.
fn segment_matches(template: &str, segment: &str) -> bool {
    match template.strip_prefix('{').and_then(|t| t.split_once('}')) {
        Some((_, "")) => !segment.is_empty() && !segment.contains(':'),
        Some((_, suffix)) => segment.len() > suffix.len() && segment.ends_with(suffix),
        None => template == segment,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_find_their_methods() {
        let spec = serde_json::json!({ "paths": {
            "/api/invoices": { "get": {}, "post": {} },
            "/api/invoices/{id}": { "get": {}, "patch": {}, "delete": {} },
            "/api/invoices/{id}:send": { "post": {} }
        }});
        let table = RouteTable::from_spec(&spec);
        assert_eq!(table.allow("/api/invoices"), Some("GET, POST"));
        assert_eq!(table.allow("/api/invoices/7"), Some("DELETE, GET, PATCH"));
        assert_eq!(table.allow("/api/invoices/7:send"), Some("POST"));
        assert_eq!(table.allow("/api/nothing"), None);
    }

    #[test]
    fn requests_find_their_operation() {
        let spec = serde_json::json!({ "paths": {
            "/api/invoices": {
                "get": { "operationId": "list_invoices" },
                "post": { "operationId": "create_invoice" }
            },
            "/api/invoices/{id}:send": { "post": { "operationId": "send_invoice" } }
        }});
        let table = RouteTable::from_spec(&spec);
        assert_eq!(
            table.operation("POST", "/api/invoices"),
            Some("create_invoice")
        );
        assert_eq!(
            table.operation("GET", "/api/invoices"),
            Some("list_invoices")
        );
        assert_eq!(
            table.operation("POST", "/api/invoices/3:send"),
            Some("send_invoice")
        );
        assert_eq!(table.operation("DELETE", "/api/invoices"), None);
        assert_eq!(table.operation("GET", "/nothing"), None);
    }
}
