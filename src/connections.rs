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
    total: Arc<Semaphore>,
    per_client: PerClient,
}

impl<A> GuardedAcceptor<A> {
    pub fn new(inner: A, limits: ConnectionLimits) -> Self {
        GuardedAcceptor {
            inner,
            limits,
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
            let guarded = Guarded::new(io, self.limits.head_timeout, permit, slot);
            return Ok((guarded, local, remote, scheme));
        }
    }
}

/// Where a connection is in reading its requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Reading a request head; `matched` bytes of the blank line that ends it seen so far.
    Head { matched: u8 },
    /// The head is in; the body and the response follow. The next read after a write starts
    /// the next request's head.
    Request { wrote: bool },
    /// An HTTP/2 connection: frames, not heads (its streams are bounded by the server).
    Http2,
}

/// What ends a request head: the blank line after the headers.
const HEAD_END: &[u8; 4] = b"\r\n\r\n";
/// How an HTTP/2 connection with prior knowledge begins.
const HTTP2_PREFACE: &[u8] = b"PRI * HTTP/2.0";

/// A connection whose every request head must arrive within a deadline; holding its share of
/// the connection limits until it is dropped.
pub struct Guarded<Io> {
    inner: Io,
    phase: Phase,
    /// The first bytes of the connection, until it is told whether it speaks HTTP/2.
    opening: Vec<u8>,
    head_timeout: Duration,
    deadline: Pin<Box<Sleep>>,
    _permit: OwnedSemaphorePermit,
    _slot: ClientSlot,
}

impl<Io> Guarded<Io> {
    fn new(
        inner: Io,
        head_timeout: Duration,
        permit: OwnedSemaphorePermit,
        slot: ClientSlot,
    ) -> Self {
        Guarded {
            inner,
            phase: Phase::Head { matched: 0 },
            opening: Vec::with_capacity(HTTP2_PREFACE.len()),
            head_timeout,
            deadline: Box::pin(tokio::time::sleep(head_timeout)),
            _permit: permit,
            _slot: slot,
        }
    }

    /// Follows the bytes just read: where heads end, and whether this is HTTP/2.
    fn observe(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if self.opening.len() < HTTP2_PREFACE.len() && self.phase != Phase::Http2 {
            let wanted = HTTP2_PREFACE.len() - self.opening.len();
            self.opening
                .extend_from_slice(&bytes[..wanted.min(bytes.len())]);
            if self.opening == HTTP2_PREFACE {
                self.phase = Phase::Http2;
                return;
            }
        }
        if let Phase::Request { wrote: true } = self.phase {
            // A new request begins: its head has the same deadline as the first.
            self.phase = Phase::Head { matched: 0 };
            let deadline = Instant::now() + self.head_timeout;
            self.deadline.as_mut().reset(deadline);
        }
        if let Phase::Head { mut matched } = self.phase {
            for &byte in bytes {
                matched = match byte {
                    _ if byte == HEAD_END[usize::from(matched)] => matched + 1,
                    b'\r' => 1,
                    _ => 0,
                };
                if usize::from(matched) == HEAD_END.len() {
                    self.phase = Phase::Request { wrote: false };
                    return;
                }
            }
            self.phase = Phase::Head { matched };
        }
    }

    fn wrote(&mut self) {
        if let Phase::Request { wrote: false } = self.phase {
            self.phase = Phase::Request { wrote: true };
        }
    }
}

impl<Io: AsyncRead + Unpin> AsyncRead for Guarded<Io> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let this = &mut *self;
                this.observe(&buf.filled()[before..]);
                Poll::Ready(Ok(()))
            }
            Poll::Pending => {
                if matches!(self.phase, Phase::Head { .. })
                    && self.deadline.as_mut().poll(cx).is_ready()
                {
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
