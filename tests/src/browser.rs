//! A real browser for the end-to-end tests: Debian's Chromium, headless, driven over the Chrome
//! DevTools Protocol on a WebSocket (tokio-tungstenite, already ours) rather than through
//! chromedriver: one process fewer, and console errors arrive as events we can assert on.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// The Chromium binary: `IOC_CHROMIUM`, else `/usr/bin/chromium`.
fn chromium_path() -> String {
    std::env::var("IOC_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

pub struct Browser {
    child: std::process::Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    /// Starts headless Chromium with a fresh profile. Without Chromium the test says loudly that
    /// it skipped, unless `IOC_REQUIRE_BROWSER=1` (set by `.ci/run`), where that is a failure.
    pub fn launch(test: &str) -> Option<Browser> {
        let path = chromium_path();
        if !std::path::Path::new(&path).exists() {
            if std::env::var("IOC_REQUIRE_BROWSER").as_deref() == Ok("1") {
                panic!("{test}: IOC_REQUIRE_BROWSER=1 but there is no Chromium at {path}");
            }
            eprintln!("\n!!! SKIPPED {test}: no Chromium at {path} (apt-get install chromium, as .ci/run does) !!!\n");
            return None;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let mut child = std::process::Command::new(&path)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--remote-debugging-port=0",
                "--remote-debugging-address=127.0.0.1",
                "--window-size=1600,900",
                "--lang=vi-VN",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start Chromium");
        let stderr = child.stderr.take().expect("stderr");
        let rx = crate::first_in_output(stderr, |line| {
            let rest = line.split("ws://127.0.0.1:").nth(1)?;
            rest.split('/').next()?.parse::<u16>().ok()
        });
        let port = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("Chromium prints its DevTools address");
        Some(Browser {
            child,
            port,
            _profile: profile,
        })
    }

    /// The page Chromium opened, ready for commands.
    pub async fn page(&self) -> Page {
        let list: Vec<Value> = reqwest::get(format!("http://127.0.0.1:{}/json/list", self.port))
            .await
            .expect("DevTools target list")
            .json()
            .await
            .expect("JSON");
        let url = list
            .iter()
            .find(|t| t["type"] == "page")
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .expect("a page target")
            .to_string();
        Self::attach(url).await
    }

    /// A second tab of its own (two people's screens side by side: a board and a form).
    pub async fn new_page(&self) -> Page {
        let target: Value = reqwest::Client::new()
            .put(format!(
                "http://127.0.0.1:{}/json/new?about:blank",
                self.port
            ))
            .send()
            .await
            .expect("DevTools new target")
            .json()
            .await
            .expect("JSON");
        let url = target["webSocketDebuggerUrl"]
            .as_str()
            .expect("the new tab's address")
            .to_string();
        Self::attach(url).await
    }

    async fn attach(url: String) -> Page {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("DevTools WebSocket");
        let mut page = Page {
            ws,
            next_id: 0,
            console_errors: Vec::new(),
        };
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            page.call(domain, json!({})).await;
        }
        page
    }
}

pub struct Page {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next_id: u64,
    /// JavaScript errors and console.error calls seen so far.
    pub console_errors: Vec<String>,
}

/// What `Page::english_words` runs in the page: the words of the English UI strings that are
/// not Vietnamese ones (from the page's own `js/i18n/en.js` and `vi.js`), and `EXTRA`'s (the
/// server's English messages the test knows), less `DATA`'s (names the test gave its accounts
/// and tasks, shown as they are), that show in the page's visible text (the language toggle,
/// which names English on purpose, left out).
const ENGLISH_WORDS_JS: &str = r#"(async () => {
  const en = (await import('/js/i18n/en.js')).default;
  const vi = (await import('/js/i18n/vi.js')).default;
  const words = s => String(s).toLowerCase().match(/[\p{L}]+/gu) || [];
  const viWords = new Set(Object.values(vi).flatMap(words));
  const data = new Set(DATA.flatMap(words));
  const english = new Set([...Object.values(en), ...EXTRA].flatMap(words)
    .filter(w => w.length >= 3 && !viWords.has(w) && !data.has(w) && /^[a-z]+$/.test(w)));
  const found = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest('[data-action="lang"], script, style') || !el.checkVisibility()) continue;
    for (const w of words(n.textContent)) if (english.has(w)) found.add(w);
  }
  return [...found];
})()"#;

/// DevTools' JSON with `\uD8xx`-style escapes replaced by U+FFFD: a paused request carries
/// its body as text, and a binary body (an XLSX upload) holds lone surrogates that strict
/// JSON refuses.
fn without_surrogates(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("\\u") {
        out.push_str(&rest[..i]);
        let hex = rest.get(i + 2..i + 6).unwrap_or("");
        let surrogate = u16::from_str_radix(hex, 16).is_ok_and(|c| (0xD800..0xE000).contains(&c));
        if surrogate {
            out.push_str("\\ufffd");
            rest = &rest[i + 6..];
        } else {
            out.push_str("\\u");
            rest = &rest[i + 2..];
        }
    }
    out.push_str(rest);
    out
}

impl Page {
    /// Sends one DevTools command and returns its result, noting console errors on the way.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        match self.try_call(method, params).await {
            Ok(v) => v,
            Err(e) => panic!("{method}: {e}"),
        }
    }

    /// As `call`, with DevTools' refusal as an error rather than a panic (an evaluation in a
    /// page that is navigating away is refused: its context is gone).
    pub async fn try_call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        let msg = json!({"id": id, "method": method, "params": params}).to_string();
        self.ws
            .send(Message::Text(msg.into()))
            .await
            .expect("DevTools send");
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(30), self.ws.next())
                .await
                .expect("a DevTools answer")
                .expect("DevTools open")
                .expect("DevTools message");
            let Message::Text(text) = msg else { continue };
            let v: Value = serde_json::from_str(text.as_str())
                .or_else(|_| serde_json::from_str(&without_surrogates(text.as_str())))
                .expect("DevTools JSON");
            if v["id"].as_u64() == Some(id) {
                if !v["error"].is_null() {
                    return Err(v["error"].clone());
                }
                return Ok(v["result"].clone());
            }
            match v["method"].as_str() {
                // A request `fail_requests` holds: refused as if the server were unreachable.
                Some("Fetch.requestPaused") => {
                    self.next_id += 1;
                    let fail = json!({"id": self.next_id, "method": "Fetch.failRequest",
                        "params": {"requestId": v["params"]["requestId"], "errorReason": "ConnectionRefused"}});
                    self.ws
                        .send(Message::Text(fail.to_string().into()))
                        .await
                        .expect("DevTools send");
                }
                Some("Runtime.exceptionThrown") => self
                    .console_errors
                    .push(v["params"]["exceptionDetails"].to_string()),
                Some("Runtime.consoleAPICalled") if v["params"]["type"] == "error" => {
                    self.console_errors.push(v["params"]["args"].to_string())
                }
                // Failed loads (a missing module, a 404 image) and other browser-side errors.
                Some("Log.entryAdded") if v["params"]["entry"]["level"] == "error" => {
                    self.console_errors.push(v["params"]["entry"].to_string())
                }
                _ => {}
            }
        }
    }

    /// Makes the page's requests whose URL matches `pattern` (DevTools wildcards, `*`) fail as
    /// if the server could not be reached (`net::ERR_CONNECTION_REFUSED`), while the page's
    /// WebSocket stays up, until `stop_failing_requests`. Requests are refused while the test
    /// talks to the page (every `eval` and `wait_for` poll), which is when a test waits anyway.
    pub async fn fail_requests(&mut self, pattern: &str) {
        self.call(
            "Fetch.enable",
            json!({"patterns": [{"urlPattern": pattern, "requestStage": "Request"}]}),
        )
        .await;
    }

    /// Makes the page's requests whose URL matches `pattern` reach the server, but loses
    /// their answers (`net::ERR_CONNECTION_RESET` in the page) until `stop_failing_requests`:
    /// what a phone sees when the network drops after the server has committed.
    pub async fn drop_answers(&mut self, pattern: &str) {
        self.call(
            "Fetch.enable",
            json!({"patterns": [{"urlPattern": pattern, "requestStage": "Response"}]}),
        )
        .await;
    }

    /// Puts these files into the `<input type="file">` the expression finds, as a person
    /// choosing them would (the page sees a `change` event).
    pub async fn set_files(&mut self, input: &str, paths: &[&std::path::Path]) {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({"expression": input, "returnByValue": false}),
            )
            .await;
        let object = r["result"]["objectId"]
            .as_str()
            .unwrap_or_else(|| panic!("no file input at {input}: {r}"))
            .to_string();
        let files: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        self.call(
            "DOM.setFileInputFiles",
            json!({"files": files, "objectId": object}),
        )
        .await;
    }

    /// Lets every request through again.
    pub async fn stop_failing_requests(&mut self) {
        self.call("Fetch.disable", json!({})).await;
    }

    /// English words on the page (see `ENGLISH_WORDS_JS`): those of the English UI strings
    /// that no Vietnamese string has, and those of `extra` (a server message in English), found
    /// in the visible text, less the words of `data` (what the test named its accounts and
    /// tasks: the page shows data as it is). A Vietnamese page must have none.
    pub async fn english_words(&mut self, extra: &[&str], data: &[&str]) -> Vec<String> {
        let js = ENGLISH_WORDS_JS
            .replace("EXTRA", &json!(extra).to_string())
            .replace("DATA", &json!(data).to_string());
        let v = self.eval(&js).await;
        v.as_array()
            .expect("a list of words")
            .iter()
            .filter_map(|w| w.as_str().map(String::from))
            .collect()
    }

    pub async fn navigate(&mut self, url: &str) {
        self.call("Page.navigate", json!({ "url": url })).await;
        self.wait_for("document.readyState === 'complete'", "the page to load")
            .await;
    }

    /// The value of a JavaScript expression.
    pub async fn eval(&mut self, expression: &str) -> Value {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            )
            .await;
        assert!(
            r["exceptionDetails"].is_null(),
            "{expression}: {}",
            r["exceptionDetails"]
        );
        r["result"]["value"].clone()
    }

    /// The value of an expression, or None when the page could not answer (it threw, or it
    /// is between two documents: a redirect to the sign-in page and back).
    pub async fn try_eval(&mut self, expression: &str) -> Option<Value> {
        let r = self
            .try_call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            )
            .await
            .ok()?;
        if !r["exceptionDetails"].is_null() {
            return None;
        }
        Some(r["result"]["value"].clone())
    }

    /// Polls an expression until it is true; a failure names what was awaited. Evaluations
    /// that fail while the page navigates count as "not yet".
    pub async fn wait_for(&mut self, expression: &str, what: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if self.try_eval(expression).await == Some(Value::Bool(true)) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the browser never showed {what} ({expression})"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Signs the browser in with a session token (SECURITY.md): the `ioc_session` cookie as the
    /// server sets it (HttpOnly, SameSite=Strict), for `base` (`http://127.0.0.1:port`), so
    /// pages opened afterwards are signed in without going through the form.
    pub async fn set_session_cookie(&mut self, base: &str, token: &str) {
        let r = self
            .call(
                "Network.setCookie",
                json!({
                    "name": "ioc_session",
                    "value": token,
                    "url": base,
                    "path": "/",
                    "httpOnly": true,
                    "sameSite": "Strict",
                }),
            )
            .await;
        // Older Chromium answers {success}; newer ones an empty object.
        assert_ne!(
            r["success"],
            Value::Bool(false),
            "Network.setCookie refused"
        );
    }

    /// The browser's `ioc_session` cookie for `base`, if it holds one (DevTools sees HttpOnly
    /// cookies; the page's scripts do not).
    pub async fn session_cookie(&mut self, base: &str) -> Option<String> {
        let r = self
            .call("Network.getCookies", json!({ "urls": [base] }))
            .await;
        r["cookies"]
            .as_array()?
            .iter()
            .find(|c| c["name"] == "ioc_session")
            .and_then(|c| c["value"].as_str())
            .map(String::from)
    }

    /// Forgets every cookie of the browser (signed out without the server knowing).
    pub async fn clear_cookies(&mut self) {
        self.call("Network.clearBrowserCookies", json!({})).await;
    }

    /// Console errors other than the browser's own log of an HTTP refusal with one of
    /// `statuses` ("Failed to load resource: … status of 401", a WebSocket upgrade answered
    /// 401): a page that is refused on purpose (signed out, out of scope) logs those, and
    /// they are the server's answers, not faults of the page.
    pub fn unexpected_console_errors(&self, statuses: &[u16]) -> Vec<String> {
        self.console_errors
            .iter()
            .filter(|e| {
                let refused = statuses.iter().any(|s| {
                    e.contains(&format!("status of {s}"))
                        || e.contains(&format!("response code: {s}"))
                });
                !refused
            })
            .cloned()
            .collect()
    }

    /// Console errors other than the browser's own log of a server it could not reach (a
    /// request refused by `fail_requests`, a WebSocket or request while the server is stopped):
    /// an outage the test made, not a fault of the page.
    pub fn console_errors_beside_outage(&self) -> Vec<String> {
        self.console_errors
            .iter()
            .filter(|e| {
                !(e.contains("ERR_CONNECTION_REFUSED")
                    || e.contains("ERR_CONNECTION_RESET")
                    || e.contains("WebSocket connection to"))
            })
            .cloned()
            .collect()
    }

    /// Saves a PNG of the viewport under `target/screenshots/`.
    pub async fn screenshot(&mut self, name: &str) -> std::path::PathBuf {
        use base64::Engine;
        let r = self
            .call("Page.captureScreenshot", json!({"format": "png"}))
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().expect("image data"))
            .expect("base64");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }
}
