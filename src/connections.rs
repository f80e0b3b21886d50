//! What one TCP connection may hold, bounded: how long its request head may take to arrive,
//! and how many connections the server and each client address may have open.
//!
//! The HTTP layer (hyper under poem) has no deadline on reading a request's head here, and
//! its idle timeout waits for a request that has begun, so a client that sends half a head
//! and stops would hold its connection, and a descriptor, forever. [`GuardedAcceptor`] wraps
//! every accepted connection so that the head of each request must be complete within
//! `head_timeout` of its first byte (of the connection's opening, for the first request); a
//! read past that deadline fails, and the HTTP layer drops the connection. A connection beyond
//! the cap of its client address is closed at once; beyond the total cap, new connections wait
//! in the listen backlog until one closes.
//!
//! The same watch bounds what a head may hold. The HTTP layer buffers a head until it is
//! complete (about 400 KiB at most) and refuses a larger one with a bare answer of its own; a
//! head that grows past what any request within our limits can be ([`HeadBounds`]) is refused
//! here instead, as soon as it does: the connection writes the contract's JSON answer itself
//! (given by the API, [`HeadAnswer`]), with a request id, reads and discards what the client
//! still sends (so that closing does not reset the connection before the client reads the
//! answer) and closes. The HTTP layer never sees those bytes, so a head of any size costs the
//! server at most [`HeadBounds::max_head_bytes`] of buffer.

use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// The longest URI taken, path and query string together (414 above).
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// The most headers a request may have (431 above).
pub const MAX_HEADERS: usize = 64;
/// The most bytes of headers, names and values together, a request may have (431 above).
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Why a request head is refused before the HTTP layer holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadRefusal {
    /// The request line is longer than [`HeadBounds::MAX_REQUEST_LINE`].
    UriTooLong,
    /// More than [`MAX_HEADERS`] header lines, or more bytes of them than any set of headers
    /// within [`MAX_HEADER_BYTES`].
    HeadersTooLarge,
}

/// The whole HTTP/1.1 answer to a refused head (status line, headers, body), given the
/// request id it must carry.
pub type HeadAnswer = fn(HeadRefusal, &str) -> Vec<u8>;

/// How large a request head may grow as it arrives, in its raw form: the limits above, plus
/// what separates them on the wire.
pub struct HeadBounds;

impl HeadBounds {
    /// The request line: method, URI, version and their spaces, with the longest URI the HTTP
    /// layer represents (65,534 bytes; no method or version we serve takes 32 more). Longer
    /// than [`MAX_URI_BYTES`] so that a URI between the two still reaches the API's own checks,
    /// which may say more (a query parameter repeated too often is a 400 naming it).
    pub const MAX_REQUEST_LINE: usize = 65_534 + 32;
    /// The header lines: names and values, each line's `: ` and line end, and 1 KiB of the
    /// optional white space a client may put around values.
    pub const MAX_HEADER_SECTION: usize = MAX_HEADER_BYTES + MAX_HEADERS * 4 + 1024;

    /// The most a head in progress can hold before it is refused.
    pub const fn max_head_bytes() -> usize {
        Self::MAX_REQUEST_LINE + Self::MAX_HEADER_SECTION + 4
    }
}

/// The bounds on connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Longest a request head (request line and headers) may take to arrive.
    pub head_timeout: Duration,
    /// Open connections at most, in all.
    pub max_connections: usize,
    /// Open connections at most from one client IP address.
    pub max_connections_per_client: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            head_timeout: Duration::from_secs(10),
            max_connections: 1024,
            max_connections_per_client: 256,
        }
    }
}

/// Open connections per client address.
type PerClient = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// A client address's share of the connections; given back when the connection closes.
struct ClientSlot {
    ip: Option<IpAddr>,
    per_client: PerClient,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let Some(ip) = self.ip else { return };
        // A poisoned lock only means another connection panicked while counting: the counts
        // themselves are still whole numbers, so go on with them.
        let mut counts = self.per_client.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = counts.get_mut(&ip) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&ip);
            }
        }
    }
}

/// Accepts connections within [`ConnectionLimits`], each wrapped in a [`Guarded`] stream.
pub struct GuardedAcceptor<A> {
    inner: A,
    limits: ConnectionLimits,
    answer: HeadAnswer,
    total: Arc<Semaphore>,
    per_client: PerClient,
}

impl<A> GuardedAcceptor<A> {
    pub fn new(inner: A, limits: ConnectionLimits, answer: HeadAnswer) -> Self {
        GuardedAcceptor {
            inner,
            limits,
            answer,
            total: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            per_client: PerClient::default(),
        }
    }

    /// A slot for this address, or `None` when it has its share already.
    fn client_slot(&self, remote: &RemoteAddr) -> Option<ClientSlot> {
        let ip = remote.as_socket_addr().map(|addr| addr.ip());
        if let Some(ip) = ip {
            let mut counts = self.per_client.lock().unwrap_or_else(|p| p.into_inner());
            let count = counts.entry(ip).or_insert(0);
            if *count >= self.limits.max_connections_per_client {
                return None;
            }
            *count += 1;
        }
        Some(ClientSlot {
            ip,
            per_client: Arc::clone(&self.per_client),
        })
    }
}

impl<A: Acceptor> Acceptor for GuardedAcceptor<A> {
    type Io = Guarded<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        loop {
            // At the total cap, wait here: new connections queue in the listen backlog.
            let permit = Arc::clone(&self.total)
                .acquire_owned()
                .await
                .map_err(|_| io::Error::other("the connection limiter is closed"))?;
            let (io, local, remote, scheme) = self.inner.accept().await?;
            let Some(slot) = self.client_slot(&remote) else {
                tracing::warn!(client = %remote, "closing a connection: too many from this address");
                continue;
            };
            let guarded = Guarded::new(io, self.limits.head_timeout, self.answer, permit, slot);
            return Ok((guarded, local, remote, scheme));
        }
    }
}

/// Where a connection is in reading its requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Reading a request head (followed by [`Head`]).
    Head,
    /// The head is in; the body and the response follow. The next read after a write starts
    /// the next request's head.
    Request { wrote: bool },
    /// An HTTP/2 connection: frames, not heads (its streams are bounded by the server).
    Http2,
    /// The head was refused: the answer is being written, then the rest discarded.
    Refused,
}

/// How an HTTP/2 connection with prior knowledge begins.
const HTTP2_PREFACE: &[u8] = b"PRI * HTTP/2.0";
/// The header whose value names a request in the logs and the answer.
const REQUEST_ID_HEADER: &[u8] = b"x-request-id:";
/// Bytes of a header line kept to find the request id in it: the name, white space and an
/// acceptable id.
const KEPT_LINE_BYTES: usize = 160;

/// A request head as it arrives, line by line: how long it has grown, and the client's request
/// id once seen. Lines end at `\n`, with or without `\r`, as the HTTP layer reads them.
#[derive(Debug, Default)]
struct Head {
    /// Bytes of the current line so far, its line end excluded.
    line_bytes: usize,
    /// The current line's first bytes (up to [`KEPT_LINE_BYTES`]).
    line_start: Vec<u8>,
    /// Whether the request line has ended.
    request_line_done: bool,
    /// Header lines ended so far.
    header_lines: usize,
    /// Bytes of the header lines so far, line ends included.
    header_section: usize,
    /// The client's `x-request-id`, when it sent an acceptable one.
    request_id: Option<String>,
}

/// What a byte of a head did.
enum Step {
    More,
    Complete,
    Refused(HeadRefusal),
}

impl Head {
    fn step(&mut self, byte: u8) -> Step {
        if byte != b'\n' {
            self.line_bytes += 1;
            if self.line_start.len() < KEPT_LINE_BYTES {
                self.line_start.push(byte);
            }
            if self.request_line_done {
                self.header_section += 1;
                if self.header_section > HeadBounds::MAX_HEADER_SECTION {
                    return Step::Refused(HeadRefusal::HeadersTooLarge);
                }
            } else if self.line_bytes > HeadBounds::MAX_REQUEST_LINE {
                return Step::Refused(HeadRefusal::UriTooLong);
            }
            return Step::More;
        }
        let line = self
            .line_start
            .strip_suffix(b"\r")
            .unwrap_or(&self.line_start);
        let empty = line.is_empty();
        if self.request_line_done {
            if empty {
                return Step::Complete;
            }
            self.header_section += 1;
            self.header_lines += 1;
            if self.header_lines > MAX_HEADERS {
                return Step::Refused(HeadRefusal::HeadersTooLarge);
            }
            if self.request_id.is_none() {
                self.request_id = request_id_in(line);
            }
        } else if !empty {
            // Empty lines before the request line are skipped, as the HTTP layer does.
            self.request_line_done = true;
        }
        self.line_bytes = 0;
        self.line_start.clear();
        Step::More
    }
}

/// The value of an `x-request-id` header line, when it is an acceptable id.
fn request_id_in(line: &[u8]) -> Option<String> {
    let name = line.get(..REQUEST_ID_HEADER.len())?;
    if !name.eq_ignore_ascii_case(REQUEST_ID_HEADER) {
        return None;
    }
    let value = line[REQUEST_ID_HEADER.len()..].trim_ascii();
    crate::telemetry::acceptable_request_id(value)
}

/// A connection whose every request head must arrive within a deadline and within
/// [`HeadBounds`]; holding its share of the connection limits until it is dropped.
pub struct Guarded<Io> {
    inner: Io,
    phase: Phase,
    head: Head,
    /// The first bytes of the connection, until it is told whether it speaks HTTP/2.
    opening: Vec<u8>,
    head_timeout: Duration,
    deadline: Pin<Box<Sleep>>,
    answer: HeadAnswer,
    /// A refused head's answer, and how much of it is written.
    refusal: Option<(Vec<u8>, usize)>,
    _permit: OwnedSemaphorePermit,
    _slot: ClientSlot,
}

impl<Io> Guarded<Io> {
    fn new(
        inner: Io,
        head_timeout: Duration,
        answer: HeadAnswer,
        permit: OwnedSemaphorePermit,
        slot: ClientSlot,
    ) -> Self {
        Guarded {
            inner,
            phase: Phase::Head,
            head: Head::default(),
            opening: Vec::with_capacity(HTTP2_PREFACE.len()),
            head_timeout,
            deadline: Box::pin(tokio::time::sleep(head_timeout)),
            answer,
            refusal: None,
            _permit: permit,
            _slot: slot,
        }
    }

    /// Follows the bytes just read: where heads end, whether this is HTTP/2, and whether the
    /// head outgrew its bounds.
    fn observe(&mut self, bytes: &[u8]) -> Option<HeadRefusal> {
        if bytes.is_empty() {
            return None;
        }
        if self.opening.len() < HTTP2_PREFACE.len() && self.phase != Phase::Http2 {
            let wanted = HTTP2_PREFACE.len() - self.opening.len();
            self.opening
                .extend_from_slice(&bytes[..wanted.min(bytes.len())]);
            if self.opening == HTTP2_PREFACE {
                self.phase = Phase::Http2;
                return None;
            }
        }
        if let Phase::Request { wrote: true } = self.phase {
            // A new request begins: its head has the same deadline and bounds as the first.
            self.phase = Phase::Head;
            self.head = Head::default();
            let deadline = Instant::now() + self.head_timeout;
            self.deadline.as_mut().reset(deadline);
        }
        if self.phase == Phase::Head {
            for &byte in bytes {
                match self.head.step(byte) {
                    Step::More => {}
                    Step::Complete => {
                        self.phase = Phase::Request { wrote: false };
                        return None;
                    }
                    Step::Refused(why) => return Some(why),
                }
            }
        }
        None
    }

    fn wrote(&mut self) {
        if let Phase::Request { wrote: false } = self.phase {
            self.phase = Phase::Request { wrote: true };
        }
    }

    /// Stops reading the head: from now on the connection writes `why`'s answer, then
    /// discards what the client sends.
    fn refuse(&mut self, why: HeadRefusal) {
        let request_id = self
            .head
            .request_id
            .take()
            .unwrap_or_else(crate::telemetry::new_request_id);
        tracing::warn!(request_id = %request_id, refusal = ?why, "refused a request head over its bounds");
        self.refusal = Some(((self.answer)(why, &request_id), 0));
        self.phase = Phase::Refused;
        self.head = Head::default();
    }

    fn head_deadline_passed(&mut self, cx: &mut Context<'_>) -> bool {
        self.deadline.as_mut().poll(cx).is_ready()
    }
}

/// Reads of discarded bytes in one turn before yielding to other tasks.
const DISCARDS_PER_TURN: usize = 64;

impl<Io: AsyncRead + AsyncWrite + Unpin> Guarded<Io> {
    /// Writes a refused head's answer, then reads and discards until the client closes or the
    /// head's deadline passes. Never gives the HTTP layer a byte: it ends with an error, and
    /// the HTTP layer closes the connection without an answer of its own.
    fn poll_refusal(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some((answer, written)) = &mut self.refusal {
            while *written < answer.len() {
                match Pin::new(&mut self.inner).poll_write(cx, &answer[*written..]) {
                    Poll::Ready(Ok(0)) => return refused_and_closed(),
                    Poll::Ready(Ok(n)) => *written += n,
                    Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                    Poll::Pending => return self.wait_within_deadline(cx),
                }
            }
            // The answer is all there is: a client that reads until the connection closes
            // gets its end now, not after the discarding below.
            let sent = match Pin::new(&mut self.inner).poll_flush(cx) {
                Poll::Ready(Ok(())) => Pin::new(&mut self.inner).poll_shutdown(cx),
                other => other,
            };
            match sent {
                Poll::Ready(Ok(())) => self.refusal = None,
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                Poll::Pending => return self.wait_within_deadline(cx),
            }
        }
        let mut scratch = [0u8; 8192];
        for _ in 0..DISCARDS_PER_TURN {
            let mut discard = ReadBuf::new(&mut scratch);
            match Pin::new(&mut self.inner).poll_read(cx, &mut discard) {
                Poll::Ready(Ok(())) if discard.filled().is_empty() => return refused_and_closed(),
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                Poll::Pending => return self.wait_within_deadline(cx),
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Waits for the client, but not past the head's deadline: then the connection closes.
    fn wait_within_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.head_deadline_passed(cx) {
            refused_and_closed()
        } else {
            Poll::Pending
        }
    }
}

/// How a refused head's connection ends for the HTTP layer: an error, so that it closes the
/// connection without an answer of its own.
fn refused_and_closed() -> Poll<io::Result<()>> {
    Poll::Ready(Err(io::Error::new(
        io::ErrorKind::InvalidData,
        "the request head was over its bounds",
    )))
}

impl<Io: AsyncRead + AsyncWrite + Unpin> AsyncRead for Guarded<Io> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.phase == Phase::Refused {
            return this.poll_refusal(cx);
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if let Some(why) = this.observe(&buf.filled()[before..]) {
                    // The HTTP layer never sees the bytes of a refused head past this read.
                    buf.set_filled(before);
                    this.refuse(why);
                    return this.poll_refusal(cx);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => {
                if this.phase == Phase::Head && this.head_deadline_passed(cx) {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the request head did not arrive in time",
                    )));
                }
                Poll::Pending
            }
            other => other,
        }
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for Guarded<Io> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            self.wrote();
        }
        written
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            self.wrote();
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn answer(why: HeadRefusal, request_id: &str) -> Vec<u8> {
        format!("HTTP/1.1 {why:?} {request_id}\r\n\r\n").into_bytes()
    }

    /// What the HTTP layer would read from a connection on which the client sends `sent`, and
    /// what the client gets back: (bytes read by the HTTP layer, the client's answer).
    async fn exchange(sent: Vec<u8>) -> (usize, String) {
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let permit = Arc::new(Semaphore::new(1))
            .acquire_owned()
            .await
            .expect("a permit");
        let slot = ClientSlot {
            ip: None,
            per_client: PerClient::default(),
        };
        let mut guarded = Guarded::new(server, Duration::from_secs(10), answer, permit, slot);
        let http_layer = tokio::spawn(async move {
            let mut buffer = vec![0u8; 8192];
            let mut read = 0;
            while let Ok(n) = guarded.read(&mut buffer).await {
                if n == 0 {
                    break;
                }
                read += n;
            }
            read
        });
        let (mut from_server, mut to_server) = tokio::io::split(&mut client);
        let writing = async {
            // The server may stop reading once it has refused: a failed write is its right.
            let _ = to_server.write_all(&sent).await;
            let _ = to_server.shutdown().await;
        };
        let mut answer = Vec::new();
        let reading = from_server.read_to_end(&mut answer);
        let ((), _) = tokio::join!(writing, reading);
        let read = http_layer.await.expect("the reader ends");
        (read, String::from_utf8_lossy(&answer).into_owned())
    }

    fn head(request_line: &str, headers: &[String]) -> Vec<u8> {
        let mut text = format!("{request_line}\r\n");
        for header in headers {
            text.push_str(header);
            text.push_str("\r\n");
        }
        text.push_str("\r\n");
        text.into_bytes()
    }

    #[tokio::test]
    async fn a_head_of_any_size_reaches_the_http_layer_only_up_to_its_bounds() {
        for size in [100 * 1024, 1024 * 1024, 10 * 1024 * 1024] {
            let one = vec![
                format!("x-request-id: id-{size}"),
                format!("x-big: {}", "a".repeat(size)),
            ];
            let many: Vec<String> = std::iter::once(format!("x-request-id: id-{size}"))
                .chain((0..size / 100).map(|i| format!("x-h{i}: {}", "b".repeat(90))))
                .collect();
            for headers in [one, many] {
                let (read, answer) = exchange(head("GET / HTTP/1.1", &headers)).await;
                assert!(
                    read <= HeadBounds::max_head_bytes(),
                    "{size}: the HTTP layer read {read} bytes"
                );
                assert_eq!(
                    answer,
                    format!("HTTP/1.1 HeadersTooLarge id-{size}\r\n\r\n")
                );
            }
        }
    }

    #[tokio::test]
    async fn a_request_line_past_any_uri_within_bounds_is_refused_as_too_long() {
        let uri = format!("/{}", "u".repeat(1024 * 1024));
        let (read, answer) = exchange(head(&format!("GET {uri} HTTP/1.1"), &[])).await;
        assert!(read <= HeadBounds::MAX_REQUEST_LINE, "read {read}");
        assert!(answer.starts_with("HTTP/1.1 UriTooLong "), "{answer}");
        // No id of the client's was seen: a fresh one.
        assert_eq!(answer.trim_end().len(), "HTTP/1.1 UriTooLong ".len() + 32);
    }

    #[tokio::test]
    async fn heads_at_the_bounds_pass_whole_with_either_line_end() {
        let uri = format!("/{}", "u".repeat(MAX_URI_BYTES - 1));
        let value = "v".repeat(MAX_HEADER_BYTES / MAX_HEADERS - 8);
        let headers: Vec<String> = (0..MAX_HEADERS)
            .map(|i| format!("x-{i:04}: {value}"))
            .collect();
        let crlf = head(&format!("PATCH {uri} HTTP/1.1"), &headers);
        let lf = String::from_utf8_lossy(&crlf)
            .replace("\r\n", "\n")
            .into_bytes();
        for sent in [crlf, lf] {
            let length = sent.len();
            let (read, answer) = exchange(sent).await;
            assert_eq!((read, answer.as_str()), (length, ""));
        }
    }

    #[tokio::test]
    async fn one_header_too_many_is_refused() {
        let headers: Vec<String> = (0..=MAX_HEADERS).map(|i| format!("x-{i}: 1")).collect();
        let (_, answer) = exchange(head("GET / HTTP/1.1", &headers)).await;
        assert!(answer.starts_with("HTTP/1.1 HeadersTooLarge "), "{answer}");
    }
}
