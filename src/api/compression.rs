//! Compressed answers for clients that ask (`Accept-Encoding: gzip` or `br`).
//!
//! Only answers that have no `ETag` are compressed: the lists, `/docs` and the spec, which are
//! the large ones, from 1 KiB. An answer with one invoice carries a strong `ETag`, which must
//! differ between a compressed and an uncompressed body; keeping those identity-encoded keeps
//! `If-Match` and `If-None-Match` exact, and they are small. Error bodies, 204 and 304 carry
//! no body worth compressing. Request bodies are never decompressed (a body with a
//! `Content-Encoding` is a 415).
//!
//! Answers made per request (lists) are compressed as they go, at each coding's fastest
//! setting, gzip first when the client weighs both equally: the two are within a few percent
//! of each other in size on a list page (BENCHMARKS.md, "Compression", has sizes and cost). The documents that never change (`/docs`, the spec) are
//! compressed once, at a high setting, on their first request in each coding, brotli first:
//! compressing the 1.7 MB docs page per request cut its rate tenfold.
//!
//! poem's `Compression` middleware is not used: it would also decompress request bodies, and it
//! compresses in whatever coding the client names, `gzip;q=0` included. The bodies compressed
//! here are whole in memory, so the codecs (`flate2`, `brotli`) compress them in one call.

use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Body, Endpoint, IntoResponse, Request, Response};
use std::io::Write;
use std::sync::OnceLock;

/// The content types worth compressing: JSON, the docs page, the YAML spec.
const COMPRESSIBLE: [&str; 3] = ["application/json", "text/html", "application/yaml"];
/// Bodies shorter than this are sent as they are: compressing them saves next to nothing.
pub const MIN_COMPRESSED_BYTES: usize = 1024;

/// A content coding the server answers in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    Gzip,
    Br,
}

/// How hard to compress: as fast as possible for a body made per request, as small as is
/// worth it for a document compressed once (gzip at its best setting, brotli at quality 9:
/// close to its best size, in a fraction of the time of 11).
#[derive(Clone, Copy, Debug)]
enum Effort {
    Fastest,
    Once,
}

impl Coding {
    fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Br => "br",
        }
    }

    /// `bytes` in this coding.
    fn encode(self, bytes: &[u8], effort: Effort) -> std::io::Result<Vec<u8>> {
        match self {
            Coding::Gzip => {
                let level = match effort {
                    Effort::Fastest => flate2::Compression::fast(),
                    Effort::Once => flate2::Compression::best(),
                };
                let mut encoder = flate2::write::GzEncoder::new(Vec::new(), level);
                encoder.write_all(bytes)?;
                encoder.finish()
            }
            Coding::Br => {
                let quality = match effort {
                    Effort::Fastest => 0,
                    Effort::Once => 9,
                };
                let mut out = Vec::new();
                let mut encoder = brotli::CompressorWriter::new(&mut out, 4096, quality, 22);
                encoder.write_all(bytes)?;
                drop(encoder);
                Ok(out)
            }
        }
    }
}

/// Compresses the answer when the client accepts a coding and the answer is worth it (see the
/// module's documentation); marks every answer that could have been compressed with
/// `Vary: Accept-Encoding`, so a cache keeps the encodings apart.
pub async fn compress<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let coding = (req.method() != Method::HEAD)
        .then(|| accepted_coding(&req, Coding::Gzip))
        .flatten();
    let mut response = next.call(req).await?.into_response();
    if !compressible(&response) {
        return Ok(response);
    }
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("accept-encoding"));
    let Some(coding) = coding else {
        return Ok(response);
    };
    // Every body compressed here is already in memory (a page of rows).
    let body = response.take_body().into_bytes().await?;
    if body.len() < MIN_COMPRESSED_BYTES {
        response.set_body(body);
        return Ok(response);
    }
    let encoded = coding
        .encode(&body, Effort::Fastest)
        .map_err(|e| poem::Error::new(e, StatusCode::INTERNAL_SERVER_ERROR))?;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_ENCODING,
        HeaderValue::from_static(coding.name()),
    );
    headers.remove(header::CONTENT_LENGTH);
    response.set_body(encoded);
    Ok(response)
}

/// Whether an answer is one of those compressed: a 200 of a compressible type, without an
/// `ETag`, not already encoded and not already negotiated (a [`StaticDocument`] does its own).
fn compressible(response: &Response) -> bool {
    let headers = response.headers();
    let negotiated = headers.get_all(header::VARY).iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.to_ascii_lowercase().contains("accept-encoding"))
    });
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    response.status() == StatusCode::OK
        && !headers.contains_key(header::ETAG)
        && !headers.contains_key(header::CONTENT_ENCODING)
        && !negotiated
        && COMPRESSIBLE.iter().any(|t| content_type.starts_with(t))
}

/// A document that never changes, served in the coding the client accepts, each compressed
/// once on its first request.
pub struct StaticDocument {
    content_type: &'static str,
    identity: bytes::Bytes,
    gzip: OnceLock<bytes::Bytes>,
    br: OnceLock<bytes::Bytes>,
}

impl StaticDocument {
    pub fn new(body: impl Into<bytes::Bytes>, content_type: &'static str) -> Self {
        StaticDocument {
            content_type,
            identity: body.into(),
            gzip: OnceLock::new(),
            br: OnceLock::new(),
        }
    }

    /// The document in `coding`, compressed on the first call.
    fn encoded(&self, coding: Coding) -> bytes::Bytes {
        let cell = match coding {
            Coding::Gzip => &self.gzip,
            Coding::Br => &self.br,
        };
        cell.get_or_init(|| match coding.encode(&self.identity, Effort::Once) {
            Ok(encoded) => encoded.into(),
            // Writing to memory doesn't fail; were it to, the client gets the document as is.
            Err(_) => self.identity.clone(),
        })
        .clone()
    }
}

impl Endpoint for StaticDocument {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let coding = accepted_coding(&req, Coding::Br);
        let mut response = Response::builder()
            .content_type(self.content_type)
            .header(header::VARY, "accept-encoding");
        let body = match coding {
            Some(coding) => {
                let encoded = self.encoded(coding);
                if encoded.len() < self.identity.len() {
                    response = response.header(header::CONTENT_ENCODING, coding.name());
                    encoded
                } else {
                    self.identity.clone()
                }
            }
            None => self.identity.clone(),
        };
        Ok(response.body(Body::from_bytes(body)))
    }
}

/// The coding to answer in: gzip or brotli, whichever the client weighs more (`prefer` when
/// equal); none when it accepts neither (a weight of 0 refuses a coding, `*` stands for those
/// not named).
fn accepted_coding(req: &Request, prefer: Coding) -> Option<Coding> {
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
                "gzip" | "x-gzip" => &mut weights[0],
                "br" => &mut weights[1],
                "*" => &mut any,
                _ => continue,
            };
            *slot = Some(weight);
        }
    }
    let [gzip, br] = weights.map(|w| w.or(any).unwrap_or(0));
    match (gzip, br) {
        (0, 0) => None,
        (gzip, br) if gzip > br => Some(Coding::Gzip),
        (gzip, br) if br > gzip => Some(Coding::Br),
        _ => Some(prefer),
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
        let req = req.finish();
        let chosen = accepted_coding(&req, Coding::Br).map(Coding::name);
        // The preference only settles ties.
        let other = accepted_coding(&req, Coding::Gzip).map(Coding::name);
        if chosen != other {
            return Some("tie");
        }
        chosen
    }

    #[test]
    fn the_coding_weighed_most_is_chosen_and_a_zero_weight_refuses() {
        assert_eq!(chosen(&[]), None);
        assert_eq!(chosen(&["identity"]), None);
        assert_eq!(chosen(&["gzip"]), Some("gzip"));
        assert_eq!(chosen(&["GZIP"]), Some("gzip"));
        assert_eq!(chosen(&["gzip, deflate, br"]), Some("tie"));
        assert_eq!(chosen(&["br;q=0.5, gzip"]), Some("gzip"));
        assert_eq!(chosen(&["br ; q=0.9", "gzip;q=0.8"]), Some("br"));
        assert_eq!(chosen(&["gzip;q=0"]), None);
        assert_eq!(chosen(&["*"]), Some("tie"));
        assert_eq!(chosen(&["*;q=0.5, br;q=0"]), Some("gzip"));
        assert_eq!(chosen(&["*;q=0"]), None);
        assert_eq!(chosen(&["gzip;q=2"]), None);
        assert_eq!(chosen(&["gzip;q=abc"]), None);
        assert_eq!(chosen(&["zstd, deflate"]), None);
    }
}
