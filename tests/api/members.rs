//! GET /api/members: who the ids of other records name.

use crate::helpers::{ACME, GLOBEX, World, ids};
use invoices_api::store::admin;
use serde_json::Value;

/// The emails of a list of members, in its order.
fn emails(list: &Value) -> Vec<&str> {
    let records = list.as_array().expect("a list");
    records.iter().filter_map(|m| m["email"].as_str()).collect()
}

#[tokio::test]
async fn any_member_lists_their_companys_members_in_id_order() {
    let w = World::new().await;
    // A user of another company who joins this one too is listed in both.
    admin::add_member(&w.app.db, ACME, "g@globex.test", &[])
        .await
        .expect("member added");

    // viewer holds no permission that matters here: membership is enough.
    let reply = w.get("/api/members", &w.viewer).await;
    let list = reply.json();
    let acme = [
        "pm@acme.test",
        "account@acme.test",
        "outsider@acme.test",
        "boss@acme.test",
        "viewer@acme.test",
        "g@globex.test",
    ];
    assert_eq!(emails(&list), acme);
    let ids = ids(&reply);
    assert!(ids.is_sorted(), "{ids:?}");
    for member in list.as_array().expect("a list") {
        let fields: Vec<&String> = member.as_object().expect("an object").keys().collect();
        assert_eq!(fields, ["id", "name", "email", "joined_at"], "{member}");
        // The test users are named by their email.
        assert_eq!(member["name"], member["email"]);
        let joined = member["joined_at"].as_str().expect("joined_at");
        assert!(joined.ends_with('Z') && joined.len() == 24, "{joined}");
    }

    // The ids are the ones projects name.
    let project = w
        .get(&format!("/api/projects/{}", w.project), &w.viewer)
        .await
        .json();
    assert_eq!(project["pm_id"], list[0]["id"]);
    assert_eq!(project["account_id"], list[1]["id"]);

    let page = w.get("/api/members?limit=2&offset=1", &w.viewer).await;
    assert_eq!(emails(&page.json()), acme[1..3]);
    let past_the_end = w.get("/api/members?offset=6", &w.viewer).await;
    assert_eq!(emails(&past_the_end.json()), Vec::<&str>::new());

    let globex = w.get_in(GLOBEX, "/api/members", &w.globex_member).await;
    assert_eq!(emails(&globex.json()), ["g@globex.test"]);
}

#[tokio::test]
async fn the_members_list_refuses_what_it_does_not_take() {
    let w = World::new().await;
    for (query, fields) in [
        // Members have no update time to sync by: the whole list is small.
        ("updated_at=gt:2026-03-10T18:18:59.374Z", vec!["updated_at"]),
        ("email=pm@acme.test", vec!["email"]),
        ("limit=0", vec!["limit"]),
        ("limit=101&offset=-1", vec!["limit", "offset"]),
    ] {
        let reply = w.get(&format!("/api/members?{query}"), &w.viewer).await;
        assert_eq!(reply.failed_fields(), fields, "{query}");
    }
    w.get("/api/members", "wi_not-a-token")
        .await
        .assert_error(401, "unauthorized");
    // A user of another company only is not a member of this one.
    w.get("/api/members", &w.globex_member)
        .await
        .assert_error(403, "forbidden");
    // A member without a single permission still reads the list.
    let bare = w.app.add_member(ACME, "bare@acme.test", &[]).await;
    let list = w.get("/api/members", &bare).await.json();
    assert_eq!(emails(&list).last(), Some(&"bare@acme.test"));
}
