//! Custom methods: `POST /api/invoices/{id}:send`, as in the original API.
//!
//! poem's router reads `:` as the start of a path parameter, so a path segment can't be
//! `{id}:send`. An operation declares a custom method as a last segment starting with
//! [`MARKER`] after a parameter (`/api/invoices/:id/~send`); nothing else needs to know its
//! verb. Before routing, a request for `…/12:send` is rewritten to `…/12/~send` and the
//! internal form asked for directly is refused; the spec shows the `{id}:send` form.

/// Marks a custom method's verb in an operation's path.
pub const MARKER: char = '~';

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

/// Maps `…/12:send` to `…/12/~send`; hides `…/12/~send` and any other use of a colon in the
/// last segment. A verb no operation declares is then simply not found by the router.
pub fn route(path: &str) -> Routed {
    let Some((head, last)) = path.rsplit_once('/') else {
        return Routed::AsIs;
    };
    if last.starts_with(MARKER) {
        return Routed::Hidden;
    }
    let Some((target, verb)) = last.split_once(':') else {
        return Routed::AsIs;
    };
    // A colon in the last segment only ever means a custom method on a resource id.
    let is_id = !target.is_empty() && target.bytes().all(|b| b.is_ascii_digit());
    let is_verb = !verb.is_empty() && verb.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
    if is_id && is_verb {
        Routed::Rewritten(format!("{head}/{target}/{MARKER}{verb}"))
    } else {
        Routed::Hidden
    }
}

/// The path of the spec for an operation's path: `/api/invoices/{id}/~send` becomes
/// `/api/invoices/{id}:send`; `None` for a path that is not a custom method.
pub fn spec_path(path: &str) -> Option<String> {
    let (head, last) = path.rsplit_once('/')?;
    let verb = last.strip_prefix(MARKER)?;
    let param = head.rsplit('/').next()?;
    (param.starts_with('{') && param.ends_with('}')).then(|| format!("{head}:{verb}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_rewritten_and_internal_paths_hidden() {
        assert_eq!(
            route("/api/invoices/12:set-paid"),
            Routed::Rewritten("/api/invoices/12/~set-paid".into())
        );
        assert_eq!(route("/api/invoices/12/~set-paid"), Routed::Hidden);
        assert_eq!(route("/api/invoices:send"), Routed::Hidden);
        assert_eq!(route("/api/invoices/abc:send"), Routed::Hidden);
        assert_eq!(route("/api/invoices/12:"), Routed::Hidden);
        assert_eq!(route("/api/invoices"), Routed::AsIs);
        assert_eq!(route("/api/invoices/12"), Routed::AsIs);
    }

    #[test]
    fn spec_paths_use_the_colon_form() {
        assert_eq!(
            spec_path("/api/invoices/{id}/~send").as_deref(),
            Some("/api/invoices/{id}:send")
        );
        assert_eq!(spec_path("/api/invoices/{id}/send"), None);
        assert_eq!(spec_path("/api/invoices/{id}"), None);
        assert_eq!(spec_path("/api/invoices"), None);
    }
}
