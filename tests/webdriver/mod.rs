//! A small W3C WebDriver client for the browser tests: `chromedriver` driving Debian's
//! headless `chromium`, over plain HTTP on loopback with the crate's own `reqwest`.
//! Only the commands the tests use.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

/// The key of an element reference in WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one browser session.
pub struct Browser {
    http: reqwest::Client,
    base: String,
    driver: Child,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a fresh profile in `profile`.
    pub async fn start(profile: &Path) -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian: apt-get install chromium chromium-driver; .ci/run installs them)");
        let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(60)).build().unwrap();
        let mut browser = Browser { http, base: format!("http://127.0.0.1:{port}"), driver };
        for _ in 0..100 {
            let ready = browser.http.get(format!("{}/status", browser.base)).send().await;
            if let Ok(answer) = ready {
                let body: Value =
                    serde_json::from_str(&answer.text().await.unwrap_or_default()).unwrap_or(Value::Null);
                if body["value"]["ready"] == true {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,1000",
        ];
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": args }
        } } });
        let session = browser.send("POST", "/session", Some(capabilities)).await;
        let id = session["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {session}")).to_string();
        browser.base = format!("{}/session/{id}", browser.base);
        browser
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_send(method, path, body).await.unwrap_or_else(|error| panic!("{method} {path}: {error}"))
    }

    /// A command's `value`, or the WebDriver error it answered.
    async fn try_send(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, Value> {
        let url = format!("{}{path}", self.base);
        let request = match method {
            "GET" => self.http.get(&url),
            "DELETE" => self.http.delete(&url),
            _ => self
                .http
                .post(&url)
                .header("content-type", "application/json")
                .body(body.unwrap_or(json!({})).to_string()),
        };
        let answer = request.send().await.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let text = answer.text().await.unwrap();
        let value: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{method} {path}: {text}"));
        if value["value"]["error"].is_string() {
            return Err(value["value"].clone());
        }
        Ok(value["value"].clone())
    }

    /// Clicks the first element matching `css`, finding it again if a live update
    /// replaced it in between.
    pub async fn click_css(&self, css: &str) {
        for _ in 0..5 {
            let element = self.find(css).await;
            match self.try_send("POST", &format!("/element/{element}/click"), None).await {
                Ok(_) => return,
                Err(error) if error["error"] == "stale element reference" => continue,
                Err(error) => panic!("click {css}: {error}"),
            }
        }
        panic!("click {css}: the element kept going stale");
    }

    pub async fn goto(&self, url: &str) {
        self.send("POST", "/url", Some(json!({ "url": url }))).await;
    }

    pub async fn url(&self) -> String {
        self.send("GET", "/url", None).await.as_str().unwrap().to_string()
    }

    pub async fn find_all(&self, css: &str) -> Vec<String> {
        let found =
            self.send("POST", "/elements", Some(json!({ "using": "css selector", "value": css }))).await;
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[ELEMENT].as_str().unwrap_or_else(|| panic!("{css}: {found}")).to_string())
            .collect()
    }

    pub async fn find(&self, css: &str) -> String {
        // A page may still be loading after a click: look again for up to 10 s.
        for _ in 0..100 {
            if let Some(element) = self.find_all(css).await.into_iter().next() {
                return element;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        {
            {
                let url = self.url().await;
                let source = self.send("GET", "/source", None).await;
                panic!("no element matches `{css}` on {url}:\n{}", source.as_str().unwrap_or_default())
            }
        }
    }

    pub async fn click(&self, element: &str) {
        self.send("POST", &format!("/element/{element}/click"), None).await;
    }

    pub async fn type_into(&self, element: &str, text: &str) {
        self.send("POST", &format!("/element/{element}/value"), Some(json!({ "text": text }))).await;
    }

    pub async fn text(&self, element: &str) -> String {
        self.send("GET", &format!("/element/{element}/text"), None).await.as_str().unwrap().to_string()
    }

    pub async fn execute(&self, script: &str) -> Value {
        self.send("POST", "/execute/sync", Some(json!({ "script": script, "args": [] }))).await
    }

    pub async fn resize(&self, width: u32, height: u32) {
        self.send("POST", "/window/rect", Some(json!({ "width": width, "height": height }))).await;
    }

    /// Saves a PNG of the viewport at `path`.
    pub async fn screenshot(&self, path: &Path) {
        use base64::Engine as _;
        let data = self.send("GET", "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD.decode(data.as_str().unwrap()).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }

    /// Saves a PNG of one element (scrolled into view) at `path`.
    pub async fn screenshot_of(&self, element: &str, path: &Path) {
        use base64::Engine as _;
        let data = self.send("GET", &format!("/element/{element}/screenshot"), None).await;
        let png = base64::engine::general_purpose::STANDARD.decode(data.as_str().unwrap()).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }

    /// Ends the browser session and chromedriver.
    pub async fn quit(mut self) {
        self.send("DELETE", "", None).await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    /// The first element matching `css` inside `parent`.
    pub async fn find_in(&self, parent: &str, css: &str) -> String {
        let found = self
            .send(
                "POST",
                &format!("/element/{parent}/element"),
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await;
        found[ELEMENT].as_str().unwrap().to_string()
    }
}

impl Browser {
    /// The text of the first element matching `css`, read in one step in the page (so
    /// a live update that replaces the element in between cannot make it stale); empty
    /// when nothing matches.
    pub async fn text_of(&self, css: &str) -> String {
        let script =
            format!("const e = document.querySelector({}); return e ? e.innerText : '';", json!(css));
        self.execute(&script).await.as_str().unwrap_or_default().to_string()
    }
}
