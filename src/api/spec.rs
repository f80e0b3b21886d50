//! The spec as served, committed (`openapi.yaml`) and routed by: poem-openapi's document,
//! finished here, in one place, with what its attributes can't express.
//!
//! Each step is driven by what the operations declare, and each must find something to change:
//! a step that finds nothing means the code and this module no longer agree, and building the
//! spec fails (at start-up, in `invoices-api openapi` and in the tests) rather than serving a
//! spec that is silently wrong.

use super::allow::RouteTable;
use super::caller::{COMPANY_HEADER, SCHEME, VERSION_HEADER};
use super::custom_methods;
use super::error;
use super::params::{ApiVersion, HeaderParam};
use crate::domain::company::CompanySlug;
use anyhow::{Context, bail, ensure};
use poem_openapi::ApiExtractor;
use poem_openapi::registry::{MetaOperationParam, MetaParamIn, MetaSchemaRef, Registry};
use serde_json::{Map, Value};

/// The finished spec, in every form it is served, and the routes it describes.
pub struct Spec {
    /// Pretty-printed JSON.
    pub json: String,
    /// The Swagger UI page, with the finished spec embedded.
    pub swagger_ui_html: String,
    /// The methods of every path, for the `Allow` header of a 405.
    pub routes: RouteTable,
}

impl Spec {
    /// Builds the spec of [`super::service`] and finishes it.
    pub fn build() -> anyhow::Result<Spec> {
        let service = super::service();
        let generated = service.spec();
        let mut document: Value =
            serde_json::from_str(&generated).context("poem-openapi's spec is not JSON")?;
        finish(&mut document)?;
        let json = serde_json::to_string_pretty(&document)?;
        // The UI page embeds the spec as a JavaScript literal; swap in the finished one.
        let page = service.swagger_ui_html();
        ensure!(
            page.contains(&generated),
            "the Swagger UI page does not embed the spec"
        );
        Ok(Spec {
            swagger_ui_html: page.replacen(&generated, &json, 1),
            routes: RouteTable::from_spec(&document),
            json,
        })
    }

    /// What `invoices-api openapi` prints and `openapi.yaml` holds: the JSON, which is also
    /// YAML, ending in a newline. A YAML emitter would leave strings such as `2024-06-15`
    /// unquoted, and YAML 1.1 parsers (PyYAML, used by many OpenAPI tools) read those as dates.
    pub fn yaml(&self) -> String {
        format!("{}\n", self.json)
    }
}

/// A step run on each operation; whether it changed it.
type OperationStep<'a> = dyn FnMut(&mut Map<String, Value>) -> bool + 'a;

/// Every step, in order.
fn finish(document: &mut Value) -> anyhow::Result<()> {
    custom_method_paths(document)?;
    let mut operations = operations(document)?;
    let headers = identity_header_parameters()?;
    let mut steps: [(&str, Box<OperationStep>); 3] = [
        (
            "identity headers",
            Box::new(|op: &mut Map<String, Value>| identity_headers(op, &headers)),
        ),
        ("public operations", Box::new(public_operations)),
        ("error examples", Box::new(error_examples)),
    ];
    for (name, step) in steps.iter_mut() {
        let mut changed = false;
        for entry in operations.iter_mut() {
            changed |= step(&mut entry.operation);
        }
        ensure!(changed, "spec step \"{name}\" found nothing to change");
    }
    let bodies = request_body_schemas(&operations);
    *document
        .pointer_mut("/paths")
        .context("the spec has no paths")? = rebuild_paths(operations);
    identity_header_schemas(document)?;
    closed_bodies(document, &bodies)
}

/// Custom-method paths in their `{id}:verb` form (see [`custom_methods`]).
fn custom_method_paths(document: &mut Value) -> anyhow::Result<()> {
    let paths = document
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .context("the spec has no paths")?;
    let mut rewritten = 0;
    *paths = std::mem::take(paths)
        .into_iter()
        .map(|(path, item)| match custom_methods::spec_path(&path) {
            Some(public) => {
                rewritten += 1;
                (public, item)
            }
            None => (path, item),
        })
        .collect();
    ensure!(
        rewritten > 0,
        "spec step \"custom method paths\" found nothing to change"
    );
    Ok(())
}

/// Every operation, taken out of its path item while the steps run.
fn operations(document: &mut Value) -> anyhow::Result<Vec<OperationEntry>> {
    let paths = document
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .context("the spec has no paths")?;
    let mut entries = Vec::new();
    for (path, item) in std::mem::take(paths) {
        let Value::Object(item) = item else {
            bail!("path {path} is not an object");
        };
        for (method, operation) in item {
            let Value::Object(operation) = operation else {
                bail!("{method} {path} is not an object");
            };
            entries.push(OperationEntry {
                path: path.clone(),
                method,
                operation,
            });
        }
    }
    Ok(entries)
}

/// One operation of the spec, taken out of its path item while the steps run.
struct OperationEntry {
    path: String,
    method: String,
    operation: Map<String, Value>,
}

fn rebuild_paths(entries: Vec<OperationEntry>) -> Value {
    let mut paths = Map::new();
    for entry in entries {
        let item = paths
            .entry(entry.path)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(item) = item.as_object_mut() {
            item.insert(entry.method, Value::Object(entry.operation));
        }
    }
    Value::Object(paths)
}

/// Whether the operation authenticates with the bearer token.
fn uses_identity(operation: &Map<String, Value>) -> bool {
    operation
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|schemes| schemes.iter().any(|s| s.get(SCHEME).is_some()))
}

/// The two headers an [`super::caller::Identity`] reads, as spec parameters.
fn identity_header_parameters() -> anyhow::Result<[Value; 2]> {
    let header = |name: &str, schema: Option<MetaSchemaRef>, description: &str| {
        let schema = schema.with_context(|| format!("the {name} header has no schema"))?;
        Ok::<_, anyhow::Error>(serde_json::to_value(MetaOperationParam {
            name: name.to_owned(),
            schema,
            in_type: MetaParamIn::Header,
            description: Some(description.to_owned()),
            required: true,
            deprecated: false,
            explode: true,
            style: None,
        })?)
    };
    Ok([
        header(
            COMPANY_HEADER,
            HeaderParam::<CompanySlug>::param_schema_ref(),
            "The company you want to interact with",
        )?,
        header(
            VERSION_HEADER,
            HeaderParam::<ApiVersion>::param_schema_ref(),
            "The API version you want to use",
        )?,
    ])
}

/// The identity headers, first among the parameters of every operation that takes an
/// [`super::caller::Identity`].
fn identity_headers(operation: &mut Map<String, Value>, headers: &[Value; 2]) -> bool {
    if !uses_identity(operation) {
        return false;
    }
    let parameters = operation
        .entry("parameters")
        .or_insert_with(|| Value::Array(Vec::new()));
    match parameters {
        Value::Array(parameters) => {
            parameters.splice(0..0, headers.iter().cloned());
            true
        }
        _ => false,
    }
}

/// The named schemas the identity headers refer to (poem-openapi leaves out of the document
/// every schema no operation of its own refers to), with the schemas kept in name order.
fn identity_header_schemas(document: &mut Value) -> anyhow::Result<()> {
    let mut registry = Registry::new();
    <HeaderParam<CompanySlug> as ApiExtractor>::register(&mut registry);
    <HeaderParam<ApiVersion> as ApiExtractor>::register(&mut registry);
    ensure!(
        !registry.schemas.is_empty(),
        "spec step \"identity header schemas\" found nothing to add"
    );
    let schemas = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .context("the spec has no schemas")?;
    for (name, schema) in registry.schemas {
        schemas.insert(name, serde_json::to_value(schema)?);
    }
    let mut sorted: Vec<(String, Value)> = std::mem::take(schemas).into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    schemas.extend(sorted);
    Ok(())
}

/// Operations without a security scheme marked public (`security: []`), rather than left for
/// readers and linters to guess.
fn public_operations(operation: &mut Map<String, Value>) -> bool {
    if operation.contains_key("security") {
        return false;
    }
    operation.insert("security".into(), Value::Array(Vec::new()));
    true
}

/// Every error response shares one schema, so each gets an example: the typical body of its
/// status.
fn error_examples(operation: &mut Map<String, Value>) -> bool {
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return false;
    };
    let mut changed = false;
    for (status, response) in responses.iter_mut() {
        if let Some(example) = status.parse().ok().and_then(error::example_for)
            && let Some(media) = response
                .pointer_mut("/content/application~1json")
                .and_then(Value::as_object_mut)
        {
            media.insert("example".into(), example);
            changed = true;
        }
    }
    changed
}

/// The schema names of every operation's request body.
fn request_body_schemas(operations: &[OperationEntry]) -> Vec<String> {
    let mut names: Vec<String> = operations
        .iter()
        .filter_map(|entry| {
            entry
                .operation
                .get("requestBody")?
                .pointer("/content/application~1json/schema/$ref")?
                .as_str()
        })
        .filter_map(|r| r.strip_prefix("#/components/schemas/"))
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Request bodies refuse unknown fields (`api::body`), which poem-openapi can't say:
/// `additionalProperties: false` on each body's schema.
fn closed_bodies(document: &mut Value, bodies: &[String]) -> anyhow::Result<()> {
    ensure!(
        !bodies.is_empty(),
        "spec step \"closed bodies\" found nothing to change"
    );
    for name in bodies {
        let schema = document
            .pointer_mut(&format!("/components/schemas/{name}"))
            .and_then(Value::as_object_mut)
            .with_context(|| format!("request body schema {name} is not in the spec"))?;
        schema.insert("additionalProperties".into(), false.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_of_the_service_builds() {
        let spec = Spec::build().expect("the spec builds");
        assert!(spec.json.contains("/api/invoices/{id}:send"));
        assert!(!spec.json.contains("~send"));
    }

    /// A step that finds nothing to change means the operations and this module disagree:
    /// building fails, naming the step.
    #[test]
    fn a_step_that_finds_nothing_fails_loudly() {
        let mut no_custom_method = serde_json::json!({ "paths": { "/api/x/{id}": { "get": {} } } });
        let err = finish(&mut no_custom_method).expect_err("nothing to rewrite");
        assert!(err.to_string().contains("custom method paths"), "{err}");

        let mut nothing_secured = serde_json::json!({ "paths": {
            "/api/x/{id}/~go": { "post": { "responses": {} } }
        }});
        let err = finish(&mut nothing_secured).expect_err("no operation takes an identity");
        assert!(err.to_string().contains("identity headers"), "{err}");
    }
}
