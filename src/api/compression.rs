//! Compressed answers for clients that ask (`Accept-Encoding: br` or `gzip`).
//!
//! Only answers that have no `ETag` are compressed: the lists, `/docs` and the spec, which are
//! the large ones, from 1 KiB. An answer with one invoice carries a strong `ETag`, which must differ
//! between a compressed and an uncompressed body; keeping those identity-encoded keeps
//! `If-Match` and `If-None-Match` exact, and they are small. Error bodies, 204 and 304 carry
//! no body worth compressing. Request bodies are never decompressed: a compressed request is
//! refused like any body that is not JSON.
//!
//! poem's `Compression` middleware is not used as is: it would also decompress request bodies,
//! and it compresses whatever the client names, `gzip;q=0` included. Its `Compress` response
//! wrapper does the compressing.

use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::web::{Compress, CompressionAlgo, CompressionLevel};
use poem::{Endpoint, IntoResponse, Request, Response};

/// The content types worth compressing: JSON, the docs page, the YAML spec.
const COMPRESSIBLE: [&str; 3] = ["application/json", "text/html", "application/yaml"];
/// Bodies shorter than this are sent as they are: compressing them saves next to nothing.
pub const MIN_COMPRESSED_BYTES: usize = 1024;

/// Compresses the answer when the client accepts a coding and the answer is worth it (see the
/// module's documentation); marks every answer that could have been compressed with
/// `Vary: Accept-Encoding`, so a cache keeps the encodings apart.
pub async fn compress<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let coding = (req.method() != Method::HEAD)
        .then(|| accepted_coding(&req))
        .flatten();
    let mut response = next.call(req).await?.into_response();
    if !compressible(&response) {
        return Ok(response);
    }
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("accept-encoding"));
    let Some(algo) = coding else {
        return Ok(response);
    };
    // Every body compressed here is already in memory (a page of rows, the spec, the docs).
    let body = response.take_body().into_bytes().await?;
    let short = body.len() < MIN_COMPRESSED_BYTES;
    response.set_body(body);
    if short {
        return Ok(response);
    }
    // The fastest setting of each: BENCHMARKS.md ("Compression") measures it on a list page.
    Ok(Compress::new(response, algo)
        .with_quality(CompressionLevel::Fastest)
        .into_response())
}

/// Whether an answer is one of those compressed: a 200 of a compressible type, without an
/// `ETag` and not already encoded.
fn compressible(response: &Response) -> bool {
    let headers = response.headers();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    response.status() == StatusCode::OK
        && !headers.contains_key(header::ETAG)
        && !headers.contains_key(header::CONTENT_ENCODING)
        && COMPRESSIBLE.iter().any(|t| content_type.starts_with(t))
}

/// The coding to answer in: `br` or `gzip`, whichever the client weighs more (`br` when
/// equal); none when it accepts neither (a weight of 0 refuses a coding, `*` stands for those
/// not named).
fn accepted_coding(req: &Request) -> Option<CompressionAlgo> {
    let mut weights: [Option<u16>; 2] = [None, None];
    let mut any: Option<u16> = None;
    for value in req.headers().get_all(header::ACCEPT_ENCODING) {
        let Ok(text) = value.to_str() else { continue };
        for item in text.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let Some(weight) = weight(parts) else {
                continue;
            };
            let slot = match coding.to_ascii_lowercase().as_str() {
                "br" => &mut weights[0],
                "gzip" | "x-gzip" => &mut weights[1],
                "*" => &mut any,
                _ => continue,
            };
            *slot = Some(weight);
        }
    }
    let [br, gzip] = weights.map(|w| w.or(any).unwrap_or(0));
    match (br, gzip) {
        (0, 0) => None,
        (br, gzip) if br >= gzip => Some(CompressionAlgo::BR),
        _ => Some(CompressionAlgo::GZIP),
    }
}

/// The weight (`q`, in thousandths) among a coding's parameters: 1000 when not given; `None`
/// when malformed, so the coding is passed over.
fn weight<'a>(parameters: impl Iterator<Item = &'a str>) -> Option<u16> {
    let mut weight = 1000;
    for parameter in parameters {
        let (name, value) = parameter.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("q") {
            continue;
        }
        let q: f32 = value.trim().parse().ok()?;
        if !(0.0..=1.0).contains(&q) {
            return None;
        }
        weight = (q * 1000.0).round() as u16;
    }
    Some(weight)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chosen(accept: &[&str]) -> Option<&'static str> {
        let mut req = Request::builder();
        for value in accept {
            req = req.header(header::ACCEPT_ENCODING, *value);
        }
        accepted_coding(&req.finish()).map(|algo| match algo {
            CompressionAlgo::BR => "br",
            CompressionAlgo::GZIP => "gzip",
            _ => "other",
        })
    }

    #[test]
    fn the_coding_weighed_most_is_chosen_and_a_zero_weight_refuses() {
        assert_eq!(chosen(&[]), None);
        assert_eq!(chosen(&["identity"]), None);
        assert_eq!(chosen(&["gzip"]), Some("gzip"));
        assert_eq!(chosen(&["GZIP"]), Some("gzip"));
        assert_eq!(chosen(&["gzip, deflate, br"]), Some("br"));
        assert_eq!(chosen(&["br;q=0.5, gzip"]), Some("gzip"));
        assert_eq!(chosen(&["br ; q=0.9", "gzip;q=0.8"]), Some("br"));
        assert_eq!(chosen(&["gzip;q=0"]), None);
        assert_eq!(chosen(&["*"]), Some("br"));
        assert_eq!(chosen(&["*;q=0.5, br;q=0"]), Some("gzip"));
        assert_eq!(chosen(&["*;q=0"]), None);
        assert_eq!(chosen(&["gzip;q=2"]), None);
        assert_eq!(chosen(&["gzip;q=abc"]), None);
        assert_eq!(chosen(&["zstd, deflate"]), None);
    }
}
