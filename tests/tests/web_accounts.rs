//! The account pages in Debian's Chromium against `cartcast up`: signing up
//! (the first account is the admin), a wrong password said in words, the
//! admin granting the creator role on `/admin`, which brings the Studio link;
//! every page screenshotted at both sizes and audited by axe-core.

use cartcast_tests::browser::{Browser, DESKTOP, PHONE};
use cartcast_tests::{Deployment, Shape};

#[tokio::test]
async fn accounts_sign_up_sign_in_and_the_admin_grants_roles_in_a_real_browser() {
    let deployment = Deployment::start(Shape::Embedded, &[]).await.expect("start");
    let client = deployment.client();
    let browser = Browser::start().await.expect("chromedriver");

    for size in [PHONE, DESKTOP] {
        let page = browser.page(&client.base, size).await.unwrap();
        for (path, name) in [("/", "browse"), ("/signin", "signin"), ("/signup", "signup")] {
            page.goto(path).await.unwrap();
            page.until("the page draws", "return document.querySelector('main') !== null;", vec![]).await.unwrap();
            page.audit(name).await.unwrap();
        }
        page.close().await.unwrap();
    }

    // The admin signs up first, on a desktop.
    let admin = browser.page(&client.base, DESKTOP).await.unwrap();
    admin.sign_in("dana", "the admin of it all", "/", true).await.unwrap();
    // Bob signs up on his phone, signs out, and mistypes his password.
    let bob = browser.page(&client.base, PHONE).await.unwrap();
    bob.sign_in("bob", "amber lipstick 42", "/", true).await.unwrap();
    assert!(bob.text("nav a[href='/studio']").await.unwrap().is_none(), "bob is no creator yet");
    bob.click("nav button.link").await.unwrap();
    bob.goto("/signin").await.unwrap();
    bob.fill("#username", "bob").await.unwrap();
    bob.fill("#password", "amber lipstick 43").await.unwrap();
    bob.click("form button[type=submit]").await.unwrap();
    bob.until_text(".form-problem", "a wrong password is said in words", |t| t.contains("wrong")).await.unwrap();
    bob.screenshot("signin-refused").await.unwrap();
    let answer = client.sign_up("BOB", "another long phrase").await.unwrap();
    assert_eq!(answer.code(), Some("username_taken"));

    // The admin makes Bob a creator; Bob, signed in again, has a Studio link.
    admin.goto("/admin").await.unwrap();
    admin.fill("#grant-user", "bob").await.unwrap();
    admin.click("form button[type=submit]").await.unwrap();
    admin
        .until_text(".form-ok", "the grant is confirmed", |t| t.contains("bob now holds: viewer, creator"))
        .await
        .unwrap();
    admin.audit("admin").await.unwrap();
    bob.sign_in("bob", "amber lipstick 42", "/", false).await.unwrap();
    bob.until_text("nav a[href='/studio']", "bob has a Studio link", |t| t == "Studio").await.unwrap();

    admin.close().await.unwrap();
    bob.close().await.unwrap();
}
