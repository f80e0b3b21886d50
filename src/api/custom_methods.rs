//! Custom methods: `POST /api/invoices/{id}:send`, as in the original API.
//!
//! poem's router reads `:` as the start of a path parameter, so a path segment can't be
//! `{id}:send`. The operations are declared as `/{id}/send`; this module rewrites a request
//! for `…/12:send` to `…/12/send` before routing, refuses the internal form when asked for
//! directly, and writes the paths of the spec back in the `{id}:send` form.

/// The verbs served as custom methods.
pub const VERBS: [&str; 3] = ["send", "set-paid", "set-unpaid"];

/// Where a request path goes.
#[derive(Debug, PartialEq, Eq)]
pub enum Routed {
    /// Route it as it is.
    AsIs,
    /// Route it to this internal path instead.
    Rewritten(String),
    /// The internal form asked for directly: no such route.
    Hidden,
}

/// Maps `…/12:send` to `…/12/send`; hides `…/12/send` and any other use of a colon.
pub fn route(path: &str) -> Routed {
    let Some((head, last)) = path.rsplit_once('/') else {
        return Routed::AsIs;
    };
    if let Some((target, verb)) = last.split_once(':') {
        // A colon in the last segment only ever means a custom method on a resource id.
        let is_id = !target.is_empty() && target.bytes().all(|b| b.is_ascii_digit());
        return if is_id && VERBS.contains(&verb) {
            Routed::Rewritten(format!("{head}/{target}/{verb}"))
        } else {
            Routed::Hidden
        };
    }
    let after_segment = head
        .rsplit_once('/')
        .is_some_and(|(_, prev)| !prev.is_empty());
    if VERBS.contains(&last) && after_segment && head.starts_with("/api/") {
        return Routed::Hidden;
    }
    Routed::AsIs
}

/// The path of the spec for an internal route path: `/api/invoices/{id}/send` becomes
/// `/api/invoices/{id}:send`.
pub fn spec_path(path: &str) -> Option<String> {
    let (head, last) = path.rsplit_once('/')?;
    let param = head.rsplit('/').next()?;
    (VERBS.contains(&last) && param.starts_with('{') && param.ends_with('}'))
        .then(|| format!("{head}:{last}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_rewritten_and_internal_paths_hidden() {
        assert_eq!(
            route("/api/invoices/12:set-paid"),
            Routed::Rewritten("/api/invoices/12/set-paid".into())
        );
        assert_eq!(route("/api/invoices/12/set-paid"), Routed::Hidden);
        assert_eq!(route("/api/invoices/12:fly"), Routed::Hidden);
        assert_eq!(route("/api/invoices:send"), Routed::Hidden);
        assert_eq!(route("/api/invoices/abc:send"), Routed::Hidden);
        assert_eq!(route("/api/invoices"), Routed::AsIs);
        assert_eq!(route("/api/invoices/12"), Routed::AsIs);
    }

    #[test]
    fn spec_paths_use_the_colon_form() {
        assert_eq!(
            spec_path("/api/invoices/{id}/send").as_deref(),
            Some("/api/invoices/{id}:send")
        );
        assert_eq!(spec_path("/api/invoices/{id}"), None);
        assert_eq!(spec_path("/api/invoices"), None);
    }
}
