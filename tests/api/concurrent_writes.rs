//! Writes of one invoice started together: each acts on the state it checked. No 500, no
//! change that the state reached in between forbids, exactly one winner where only one may
//! win, and a final state that is the last successful answer's.

use crate::helpers::{ACME, Reply, World};
use invoices_api::domain::permission::Permission;
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::sync::Barrier;

/// Rounds per pair: each round races on a new invoice.
const ROUNDS: usize = 12;

/// One write: method, path under the invoice, body, `If-Match`, and who sends it.
#[derive(Clone)]
struct Write {
    method: Method,
    suffix: &'static str,
    body: Option<Value>,
    if_match: Option<String>,
    token: String,
}

impl Write {
    fn new(token: &str, method: Method, suffix: &'static str, body: Option<Value>) -> Self {
        Write {
            method,
            suffix,
            body,
            if_match: None,
            token: token.to_owned(),
        }
    }

    fn if_match(mut self, etag: &str) -> Self {
        self.if_match = Some(etag.to_owned());
        self
    }
}

/// Who races: `manager` may do anything to every invoice; `clerk` may edit every invoice but
/// lacks `invoices.edit_sent`.
struct Racers {
    w: Arc<World>,
    manager: String,
    clerk: String,
}

impl Racers {
    async fn new() -> Self {
        let w = World::new().await;
        let view = [Permission::InvoicesView, Permission::InvoicesViewOther];
        let edit = [Permission::InvoicesEdit, Permission::InvoicesEditOther];
        let clerk = w.member("clerk", &[&view[..], &edit[..]].concat()).await;
        let manager = w
            .member(
                "manager",
                &[
                    &view[..],
                    &edit[..],
                    &[
                        Permission::InvoicesEditSent,
                        Permission::InvoicesDelete,
                        Permission::InvoicesDeleteOther,
                    ],
                ]
                .concat(),
            )
            .await;
        Racers {
            w: Arc::new(w),
            manager,
            clerk,
        }
    }

    /// Sends every write at once on invoice `id`; the replies in the order of `writes`.
    async fn race(&self, id: i64, writes: &[Write]) -> Vec<Reply> {
        let barrier = Arc::new(Barrier::new(writes.len()));
        let tasks: Vec<_> = writes
            .iter()
            .cloned()
            .map(|write| {
                let w = Arc::clone(&self.w);
                let barrier = Arc::clone(&barrier);
                tokio::spawn(async move {
                    let path = format!("/api/invoices/{id}{}", write.suffix);
                    let headers: Vec<(&str, &str)> = write
                        .if_match
                        .as_deref()
                        .map(|etag| ("If-Match", etag))
                        .into_iter()
                        .collect();
                    barrier.wait().await;
                    w.app
                        .call_with_headers(
                            ACME,
                            write.method,
                            &path,
                            &write.token,
                            write.body.as_ref(),
                            &headers,
                        )
                        .await
                })
            })
            .collect();
        let mut replies = Vec::new();
        for task in tasks {
            let reply = task.await.expect("task finished");
            assert!(
                reply.status < 500,
                "never a 5xx: {} {}",
                reply.status,
                reply.text
            );
            if reply.status >= 400 {
                reply.assert_error(reply.status, reply.json()["key"].as_str().unwrap_or("?"));
            }
            replies.push(reply);
        }
        replies
    }

    async fn get(&self, id: i64) -> Reply {
        self.w
            .call(
                Method::GET,
                &format!("/api/invoices/{id}"),
                &self.manager,
                None,
            )
            .await
    }

    /// Asserts that the invoice is now what the successful reply with the highest version
    /// showed (each write raises the version by one, so the highest is the last).
    async fn assert_final_state_is_the_last_success(&self, id: i64, replies: &[Reply]) {
        let last = replies
            .iter()
            .filter(|r| r.status == 200)
            .max_by_key(|r| version(r))
            .expect("a success");
        let now = self.get(id).await;
        assert_eq!(now.status, 200, "{}", now.text);
        assert_eq!(
            now.json(),
            last.json(),
            "the final state is the last answer's"
        );
        assert_eq!(now.header("etag"), last.header("etag"));
    }
}

/// The version an `ETag` (`"<id>-<version>"`) names.
fn version(reply: &Reply) -> i64 {
    reply
        .header("etag")
        .and_then(|e| e.trim_matches('"').rsplit_once('-'))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or_else(|| panic!("no ETag: {}", reply.text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn patch_racing_delete_is_a_200_before_it_or_a_404_after_it_never_a_500() {
    let r = Racers::new().await;
    for round in 0..ROUNDS {
        let id = r.w.invoice(json!({})).await;
        let writes = [
            Write::new(
                &r.manager,
                Method::PATCH,
                "",
                Some(json!({ "notes": format!("r{round}") })),
            ),
            Write::new(&r.manager, Method::DELETE, "", None),
        ];
        let replies = r.race(id, &writes).await;
        assert!(
            [200, 404].contains(&replies[0].status),
            "{}",
            replies[0].text
        );
        assert_eq!(replies[1].status, 204, "{}", replies[1].text);
        if replies[0].status == 404 {
            replies[0].assert_error(404, "not_found");
        }
        r.get(id).await.assert_error(404, "not_found");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_patch_without_edit_sent_never_changes_an_invoice_sent_meanwhile() {
    let r = Racers::new().await;
    for round in 0..ROUNDS {
        let id = r.w.invoice(json!({ "notes": "original" })).await;
        let notes = format!("clerk {round}");
        let writes = [
            Write::new(&r.clerk, Method::PATCH, "", Some(json!({ "notes": notes }))),
            Write::new(&r.manager, Method::POST, ":send", None),
        ];
        let replies = r.race(id, &writes).await;
        let (patch, send) = (&replies[0], &replies[1]);
        assert_eq!(send.status, 200, "{}", send.text);
        match patch.status {
            // Before the send: the draft was patched, and the send shows the patch.
            200 => {
                assert_eq!(patch.json()["status"], "draft", "no bypass: {}", patch.text);
                assert_eq!(send.json()["notes"], notes.as_str());
            }
            // After it: the clerk may not change a sent invoice.
            403 => {
                patch.assert_forbidden_naming("edit_sent");
                assert_eq!(send.json()["notes"], "original");
            }
            other => panic!("unexpected {other}: {}", patch.text),
        }
        r.assert_final_state_is_the_last_success(id, &replies).await;
        assert_eq!(r.get(id).await.json()["status"], "sent");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_transitions_each_act_on_the_state_left_by_the_one_before() {
    let r = Racers::new().await;
    for _ in 0..ROUNDS {
        let id = r.w.invoice(json!({})).await;
        let writes = [
            Write::new(&r.manager, Method::POST, ":send", None),
            Write::new(
                &r.manager,
                Method::POST,
                ":set-paid",
                Some(json!({ "payment_date": "2024-07-01" })),
            ),
            Write::new(&r.manager, Method::POST, ":set-unpaid", None),
        ];
        let replies = r.race(id, &writes).await;
        for reply in &replies {
            assert!([200, 412].contains(&reply.status), "{}", reply.text);
        }
        // The successes, in the order they committed, must be a legal walk from `draft`.
        let mut done: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
        done.sort_by_key(|r| version(r));
        let mut status = "draft".to_owned();
        for reply in &done {
            let next = reply.json()["status"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let legal = matches!(
                (status.as_str(), next.as_str()),
                ("draft", "sent") | ("draft" | "sent", "paid") | ("paid", "sent")
            );
            assert!(legal, "{status} -> {next} is not a transition");
            status = next;
        }
        // :set-paid always finds a draft or a sent invoice (nothing else can pay it first).
        assert_eq!(replies[1].status, 200, "{}", replies[1].text);
        let versions: Vec<i64> = done.iter().map(|r| version(r)).collect();
        let expected: Vec<i64> = (2..2 + versions.len() as i64).collect();
        assert_eq!(versions, expected, "each success is one new version");
        r.assert_final_state_is_the_last_success(id, &replies).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transitions_racing_delete_get_their_answer_or_a_404_and_the_invoice_is_gone() {
    let r = Racers::new().await;
    for _ in 0..ROUNDS {
        let id = r.w.invoice(json!({})).await;
        let writes = [
            Write::new(&r.manager, Method::POST, ":send", None),
            Write::new(&r.manager, Method::POST, ":set-paid", None),
            Write::new(&r.manager, Method::POST, ":set-unpaid", None),
            Write::new(&r.manager, Method::DELETE, "", None),
        ];
        let replies = r.race(id, &writes).await;
        assert_eq!(replies[3].status, 204, "{}", replies[3].text);
        for reply in &replies[..3] {
            assert!([200, 404, 412].contains(&reply.status), "{}", reply.text);
        }
        r.get(id).await.assert_error(404, "not_found");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_two_patches_with_the_same_if_match_exactly_one_wins() {
    let r = Racers::new().await;
    for round in 0..ROUNDS {
        let id = r.w.invoice(json!({})).await;
        let read = r.get(id).await;
        let etag = read.header("etag").expect("etag").to_owned();
        let writes = [
            Write::new(
                &r.manager,
                Method::PATCH,
                "",
                Some(json!({ "notes": format!("a{round}") })),
            )
            .if_match(&etag),
            Write::new(
                &r.clerk,
                Method::PATCH,
                "",
                Some(json!({ "notes": format!("b{round}"), "value": 7 })),
            )
            .if_match(&etag),
        ];
        let replies = r.race(id, &writes).await;
        let winners = replies.iter().filter(|r| r.status == 200).count();
        assert_eq!(winners, 1, "exactly one wins");
        let loser = replies.iter().find(|r| r.status != 200).expect("a loser");
        let body = loser.assert_error(412, "precondition_failure");
        assert!(
            body["message"]
                .as_str()
                .unwrap_or_default()
                .contains("changed since it was read")
        );
        r.assert_final_state_is_the_last_success(id, &replies).await;
    }
}
