//! The `Allow` header of a 405: which methods a path has, read from the finished spec.

use serde_json::Value;

/// Every path template of the spec with the methods it serves.
#[derive(Debug, Default)]
pub struct RouteTable(Vec<(Vec<String>, String)>);

impl RouteTable {
    /// Reads the `paths` of a spec document.
    pub fn from_spec(document: &Value) -> Self {
        let mut routes = Vec::new();
        if let Some(paths) = document.get("paths").and_then(Value::as_object) {
            for (template, item) in paths {
                let mut methods: Vec<String> = item
                    .as_object()
                    .map(|ops| ops.keys().map(|m| m.to_ascii_uppercase()).collect())
                    .unwrap_or_default();
                methods.sort();
                let segments = template.split('/').map(str::to_owned).collect();
                routes.push((segments, methods.join(", ")));
            }
        }
        RouteTable(routes)
    }

    /// The methods served at a request path, as an `Allow` header value.
    pub fn allow(&self, path: &str) -> Option<&str> {
        let segments: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .find(|(template, _)| {
                template.len() == segments.len()
                    && template
                        .iter()
                        .zip(&segments)
                        .all(|(t, s)| segment_matches(t, s))
            })
            .map(|(_, methods)| methods.as_str())
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
}
